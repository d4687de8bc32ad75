// The gateway: Express at the edge. It labels requests (the launch post's TrafficLabelRule)
// and calls the service with plain fetch: the dispatcher puts the label on the call and picks
// the service instance of its lane. No handler touches a header.
import express from 'express';
import { setGlobalDispatcher } from 'undici';
import { opensergo } from '@opensergo/express';
import { createDispatcher } from '@opensergo/client';
import { INSTANCES, PORTS, RULES_FILE } from './topology.js';

// trustIncomingLabels: false — at the edge, an outside client must not choose its own lane.
const governance = opensergo({ rulesFile: RULES_FILE, app: 'my-app', trustIncomingLabels: false, logger: false });
setGlobalDispatcher(createDispatcher({ engine: governance.engine, instances: INSTANCES }));

const app = express();
app.use(governance);
app.get('/index', async (req, res, next) => {
  try {
    const downstream = await (await fetch('http://service/index')).json();
    res.json({ hop: 'gateway', framework: 'Express', port: PORTS.gateway, lane: req.opensergo.trafficLabel ?? 'base', next: downstream });
  } catch (error) {
    next(error);
  }
});
app.listen(PORTS.gateway, '127.0.0.1', () => process.send?.('ready'));
