// The HTTP scenarios. A scenario is data: the server child builds it from `setup`
// (`bare`, `opensergo` with a rule set from lib/rules.js, or `peer` with a limit).
// Adding a scenario (e.g. a Redis store) is one entry here plus, if needed, a setup
// in the framework's file under servers/.

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
    { id: 'admit', label: 'opensergo, admitting', setup: 'opensergo', rules: 'admit' },
    { id: 'block', label: 'opensergo, blocking', setup: 'opensergo', rules: 'block', blocks: true },
    { id: 'many', label: 'opensergo, admitting, +10,000 other rules', setup: 'opensergo', rules: 'many' },
    { id: 'combo', label: 'opensergo, rate+concurrency+breaker', setup: 'opensergo', rules: 'combo' },
    { id: 'peer-admit', label: `${peer}, admitting`, setup: 'peer', limit: PEER_ADMIT },
    { id: 'peer-block', label: `${peer}, blocking`, setup: 'peer', limit: 1, blocks: true },
  ].map((s) => ({ ...s, framework }));
}
