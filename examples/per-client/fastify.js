// Per-client limits on Fastify: `node examples/per-client/fastify.js` (after `npm run build`).
import Fastify from 'fastify';
import { fileURLToPath } from 'node:url';
import { opensergo } from '@opensergo/fastify';

const rulesFile = fileURLToPath(new URL('./opensergo.yaml', import.meta.url));

const app = Fastify();
// Behind one load balancer, believe its X-Forwarded-For: { rulesFile, trustProxy: 1 }.
await app.register(opensergo, { rulesFile, rateLimitHeaders: true });
app.get('/api/items', async (request) => ({ items: [], resource: request.opensergo.resource }));
app.get('/partner/orders', async () => ({ orders: [] }));

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`per-client limits on Fastify: ${address}/api/items`);
const stop = () => void app.close();
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
