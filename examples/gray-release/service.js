// The service: Koa, started twice — a base instance and a gray one (NAME=gray, with the
// workload attribute track=gray that the WorkloadLabelRule turns into the label "gray"). It
// calls the backend with node:http through createAgent, as axios or got would.
import http from 'node:http';
import Koa from 'koa';
import { opensergo } from '@opensergo/koa';
import { createAgent } from '@opensergo/client';
import { INSTANCES, PORTS, RULES_FILE } from './topology.js';

const name = process.env.NAME ?? 'base';
const port = name === 'gray' ? PORTS.serviceGray : PORTS.serviceBase;
const governance = opensergo({ rulesFile: RULES_FILE, app: 'service', workload: { track: name }, logger: false });
const agent = createAgent({ engine: governance.engine, instances: INSTANCES });

const getJson = (url) =>
  new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });

const app = new Koa();
app.use(governance);
app.use(async (ctx) => {
  const downstream = await getJson('http://backend/index');
  const { workload } = governance.engine.status();
  ctx.body = { hop: `service-${name}`, framework: 'Koa', port, workloadLabels: workload.labels, baggage: ctx.get('baggage') || null, next: downstream };
});
app.listen(port, '127.0.0.1', () => process.send?.('ready'));
