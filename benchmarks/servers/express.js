// Express setups: bare, with @opensergo/express, with express-rate-limit; and on Redis:
// @opensergo/redis, rate-limiter-flexible's RateLimiterRedis, express-rate-limit + rate-limit-redis.
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { opensergo } from '@opensergo/express';
import { ROUTE } from '../lib/rules.js';
import { observe } from '../lib/observe.js';
import { listen } from '../lib/listen.js';
import * as stopwatch from '../lib/stopwatch.js';
import { REDIS_URL, redisPrefix } from '../lib/redis.js';

/** The Redis-backed middleware of `scenario`, and what to close after the server. */
async function redisMiddleware(scenario, { rules, logger }) {
  const prefix = redisPrefix(scenario.id);
  if (scenario.setup === 'opensergo-redis') {
    const { createRedisStore } = await import('@opensergo/redis');
    const store = createRedisStore({ url: REDIS_URL }, { keyPrefix: prefix, logger });
    if (!(await store.ready(5000))) throw new Error(`Redis at ${REDIS_URL} is not available`);
    return { middleware: opensergo({ rules, logger, store }), close: () => store.close() };
  }
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
  await new Promise((resolve) => client.once('ready', resolve));
  const close = async () => void (await client.quit());
  if (scenario.setup === 'rlf-redis') {
    const { RateLimiterRedis } = await import('rate-limiter-flexible');
    const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: prefix, points: scenario.limit, duration: 1 });
    const middleware = (req, res, next) =>
      limiter.consume(req.ip).then(
        () => next(),
        () => void res.status(429).send('Too Many Requests'),
      );
    return { middleware, close };
  }
  const { RedisStore } = await import('rate-limit-redis');
  const store = new RedisStore({ sendCommand: (command, ...args) => client.call(command, ...args), prefix });
  return { middleware: rateLimit({ windowMs: 1000, limit: scenario.limit, store }), close };
}

/**
 * Starts the Express app of `scenario` on a free loopback port.
 * @param {{ setup: string, limit?: number }} scenario
 * @param {{ rules?: string, logger: object }} options rules as YAML text for `opensergo`
 * @returns {Promise<{ port: number, close(): Promise<void> }>}
 */
export async function start(scenario, { rules, logger }) {
  const app = express();
  if (scenario.stopwatch) app.use((req, _res, next) => (stopwatch.start(req), next()));
  if (scenario.setup === 'opensergo') {
    const governance = opensergo({ rules, logger, requestContext: scenario.requestContext === true });
    if (scenario.observed) app.use('/opensergo', observe(governance.engine)); // as docs/observability.md mounts it
    app.use(governance);
  }
  if (scenario.setup === 'peer') app.use(rateLimit({ windowMs: 1000, limit: scenario.limit }));
  if (scenario.setup === 'noop') app.use((_req, _res, next) => next());
  if (scenario.stopwatch) app.use((req, _res, next) => (stopwatch.stop(req), next()));
  const redis = ['opensergo-redis', 'rlf-redis', 'erl-redis'].includes(scenario.setup)
    ? await redisMiddleware(scenario, { rules, logger })
    : undefined;
  if (redis) app.use(redis.middleware);
  app.get(ROUTE, (_req, res) => {
    res.json({ hello: 'world' });
  });
  const server = await listen(app.listen(0, '127.0.0.1'));
  if (!redis) return server;
  return { port: server.port, close: () => server.close().then(redis.close) };
}
