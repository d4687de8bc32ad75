// The HTTP scenarios. A scenario is data: the server child builds it from `setup`
// (`bare`, `opensergo` with a rule set from lib/rules.js, or `peer` with a limit).
// Adding a scenario (e.g. a Redis store) is one entry here plus, if needed, a setup
// in the framework's file under servers/.

import { REDIS_URL } from './redis.js';

/** Frameworks in run order, with the peer library each is compared against. */
export const FRAMEWORKS = {
  express: { peer: 'express-rate-limit' },
  koa: { peer: 'koa-ratelimit' },
  fastify: { peer: '@fastify/rate-limit' },
};

/** Peer limit that admits everything within a 1 s window. */
export const PEER_ADMIT = 1_000_000_000;

/**
 * The scenarios of one framework, in the order rounds interleave them.
 * `blocks: true` marks those where nearly every request is refused (the handler does not run).
 */
export function scenariosFor(framework) {
  const peer = FRAMEWORKS[framework].peer;
  return [
    { id: 'bare', label: 'bare', setup: 'bare' },
    // A middleware/hook that only calls next(): what any middleware costs in this framework.
    { id: 'noop', label: 'empty middleware (floor)', setup: 'noop' },
    { id: 'admit', label: 'opensergo, admitting', setup: 'opensergo', rules: 'admit' },
    // Issue 18: the Prometheus collector registered and the dashboard mounted, page not open.
    { id: 'admit-observed', label: 'opensergo, admitting, collector + dashboard mounted', setup: 'opensergo', rules: 'admit', observed: true },
    // The request context kept (AsyncLocalStorage), as it is once a service makes governed calls.
    { id: 'admit-context', label: 'opensergo, admitting, request context kept', setup: 'opensergo', rules: 'admit', requestContext: true },
    { id: 'block', label: 'opensergo, blocking', setup: 'opensergo', rules: 'block', blocks: true },
    { id: 'many', label: 'opensergo, admitting, +10,000 other rules', setup: 'opensergo', rules: 'many' },
    { id: 'combo', label: 'opensergo, rate+concurrency+breaker', setup: 'opensergo', rules: 'combo' },
    { id: 'peer-admit', label: `${peer}, admitting`, setup: 'peer', limit: PEER_ADMIT },
    { id: 'peer-block', label: `${peer}, blocking`, setup: 'peer', limit: 1, blocks: true },
    ...(framework === 'express' && REDIS_URL ? REDIS_SCENARIOS : []),
  ].map((s) => ({ ...s, framework }));
}

/**
 * Global limits on Redis (issue 4), beside the peers' Redis stores, on Express (where both
 * peers live). Left out, with one line, when no Redis answers (lib/redis.js).
 */
const REDIS_SCENARIOS = [
  { id: 'redis-admit', label: 'opensergo Global on Redis, admitting', setup: 'opensergo-redis', rules: 'redis-admit' },
  { id: 'redis-block', label: 'opensergo Global on Redis, blocking', setup: 'opensergo-redis', rules: 'redis-block', blocks: true },
  { id: 'rlf-redis-admit', label: 'rate-limiter-flexible RateLimiterRedis, admitting', setup: 'rlf-redis', limit: PEER_ADMIT },
  { id: 'rlf-redis-block', label: 'rate-limiter-flexible RateLimiterRedis, blocking', setup: 'rlf-redis', limit: 1, blocks: true },
  { id: 'erl-redis-admit', label: 'express-rate-limit + rate-limit-redis, admitting', setup: 'erl-redis', limit: PEER_ADMIT },
  { id: 'erl-redis-block', label: 'express-rate-limit + rate-limit-redis, blocking', setup: 'erl-redis', limit: 1, blocks: true },
];
