// The backend: Fastify, a base instance only. It reports the baggage it received, which the
// service never set by hand.
import Fastify from 'fastify';
import opensergo from '@opensergo/fastify';
import { PORTS, RULES_FILE } from './topology.js';

const app = Fastify();
await app.register(opensergo, { rulesFile: RULES_FILE, app: 'backend', logger: false });
app.get('/index', async (request) => ({
  hop: 'backend-base',
  framework: 'Fastify',
  port: PORTS.backend,
  lane: request.opensergo.trafficLabel ?? 'base',
  baggage: request.headers.baggage ?? null,
}));
await app.listen({ port: PORTS.backend, host: '127.0.0.1' });
process.send?.('ready');
