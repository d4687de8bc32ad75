// The launch post's rules on Fastify: `npm run start:fastify` from the repository root.
import Fastify from 'fastify';
import { fileURLToPath } from 'node:url';
import opensergo from '@opensergo/fastify';
import { printHowToTry } from '../try.js';

const rulesFile = fileURLToPath(new URL('../opensergo.yaml', import.meta.url));
const port = Number(process.env.PORT ?? 3000);

const app = Fastify();
await app.register(opensergo, { rulesFile });
app.get('/foo', async (request) => `foo served (resource ${request.opensergo.resource})\n`);
app.get('/index', async (request) => ({
  page: request.opensergo.trafficLabel === 'gray' ? 'new home page' : 'home page',
  trafficLabels: request.opensergo.trafficLabels,
}));

await app.listen({ port, host: '0.0.0.0' });
printHowToTry('Fastify', port);
process.on('SIGINT', () => app.close()); // the plugin closes its engine with the server
process.on('SIGTERM', () => app.close());
