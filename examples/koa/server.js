// The launch post's rules on Koa: `npm run start:koa` from the repository root.
import Koa from 'koa';
import { fileURLToPath } from 'node:url';
import { opensergo } from '@opensergo/koa';
import { printHowToTry } from '../try.js';

const rulesFile = fileURLToPath(new URL('../opensergo.yaml', import.meta.url));
const port = Number(process.env.PORT ?? 3000);

const app = new Koa();
const governance = opensergo({ rulesFile });
app.use(governance);
app.use((ctx) => {
  const { resource, trafficLabel, trafficLabels } = ctx.state.opensergo;
  if (ctx.path === '/foo') ctx.body = `foo served (resource ${resource})\n`;
  else if (ctx.path === '/index') ctx.body = { page: trafficLabel === 'gray' ? 'new home page' : 'home page', trafficLabels };
  else ctx.status = 404;
});

const server = app.listen(port, () => printHowToTry('Koa', port));
process.on('SIGINT', () => server.close(() => governance.engine.close()));
process.on('SIGTERM', () => server.close(() => governance.engine.close()));
