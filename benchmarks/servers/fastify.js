// Fastify setups: bare, with @opensergo/fastify, with @fastify/rate-limit.
import Fastify from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import { opensergo } from '@opensergo/fastify';
import { observe } from '../lib/observe.js';
import { ROUTE } from '../lib/rules.js';
import * as stopwatch from '../lib/stopwatch.js';

/**
 * Starts the Fastify app of `scenario` on a free loopback port.
 * @param {{ setup: string, limit?: number }} scenario
 * @param {{ rules?: string, logger: object }} options rules as YAML text for `opensergo`
 * @returns {Promise<{ port: number, close(): Promise<void> }>}
 */
export async function start(scenario, { rules, logger }) {
  const app = Fastify();
  // Hooks run in the order they were added; a plugin's hooks are added when its register is awaited.
  if (scenario.stopwatch) app.addHook('onRequest', (request, _reply, done) => (stopwatch.start(request.raw), done()));
  if (scenario.setup === 'opensergo') await app.register(opensergo, { rules, logger, requestContext: scenario.requestContext === true });
  if (scenario.observed) {
    const page = observe(app.opensergoEngine);
    app.get('/opensergo', (request, reply) => (reply.hijack(), page(request.raw, reply.raw)));
  }
  if (scenario.setup === 'noop') app.addHook('onRequest', (_request, _reply, done) => done());
  if (scenario.setup === 'peer') await app.register(fastifyRateLimit, { max: scenario.limit, timeWindow: 1000 });
  if (scenario.stopwatch) app.addHook('onRequest', (request, _reply, done) => (stopwatch.stop(request.raw), done()));
  app.get(ROUTE, async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: app.server.address().port, close: () => app.close() };
}
