// Per-client limits on Koa: `node examples/per-client/koa.js` (after `npm run build`).
import Koa from 'koa';
import { fileURLToPath } from 'node:url';
import { opensergo } from '@opensergo/koa';

const rulesFile = fileURLToPath(new URL('./opensergo.yaml', import.meta.url));

const app = new Koa();
// Behind one load balancer, believe its X-Forwarded-For: opensergo({ rulesFile, trustProxy: 1 }).
const governance = opensergo({ rulesFile, rateLimitHeaders: true });
app.use(governance);
app.use((ctx) => {
  if (ctx.path === '/api/items') ctx.body = { items: [], resource: ctx.state.opensergo.resource };
  else if (ctx.path === '/partner/orders') ctx.body = { orders: [] };
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`per-client limits on Koa: http://127.0.0.1:${server.address().port}/api/items`);
});
const stop = () => server.close(() => governance.engine.close());
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
