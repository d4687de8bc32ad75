// Per-client limits on Express: `node examples/per-client/express.js` (after `npm run build`).
import express from 'express';
import { fileURLToPath } from 'node:url';
import { opensergo } from '@opensergo/express';

const rulesFile = fileURLToPath(new URL('./opensergo.yaml', import.meta.url));

const app = express();
// Behind one load balancer, tell Express (and so the limits) to believe its X-Forwarded-For:
// app.set('trust proxy', 1);
const governance = opensergo({ rulesFile, rateLimitHeaders: true });
app.use(governance);
app.get('/api/items', (req, res) => res.json({ items: [], resource: req.opensergo.resource }));
app.get('/partner/orders', (req, res) => res.json({ orders: [] }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`per-client limits on Express: http://127.0.0.1:${server.address().port}/api/items`);
});
const stop = () => server.close(() => governance.engine.close());
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
