// The framework versions the instruction benchmark measures. The servers under servers/ import
// the installed major (Express 5, Koa 3, Fastify 5); the older majors run the same server file
// with its framework import resolved to the repository's npm alias instead (express4, koa2,
// fastify4), by a module resolve hook (old-majors-hook.js), so no copy of a server is written.

/** Variant name → the server file it runs and the imports its hook redirects. */
export const VARIANTS = {
  express: { framework: 'express', label: 'Express 5' },
  koa: { framework: 'koa', label: 'Koa 3' },
  fastify: { framework: 'fastify', label: 'Fastify 5' },
  express4: { framework: 'express', label: 'Express 4', redirect: { express: 'express4' } },
  koa2: { framework: 'koa', label: 'Koa 2', redirect: { koa: 'koa2' } },
  // @fastify/rate-limit 11 refuses Fastify 4: FASTIFY4_RATE_LIMIT may name a Fastify-4 release
  // (a directory or file), else the Fastify 4 peer rows fail to start and are reported as such.
  fastify4: {
    framework: 'fastify',
    label: 'Fastify 4',
    redirect: { fastify: 'fastify4', ...(process.env.FASTIFY4_RATE_LIMIT ? { '@fastify/rate-limit': process.env.FASTIFY4_RATE_LIMIT } : {}) },
  },
};

/** Scenario ids in table order (lib/scenarios.js defines them). */
export const SCENARIO_ORDER = ['bare', 'noop', 'admit', 'block', 'combo', 'many', 'peer-admit', 'peer-block', 'admit-context', 'admit-observed'];

/**
 * `variant:scenario` strings (comma-separated lists allowed; `variant` alone means every
 * scenario of the table) → [{ variant, scenario }].
 */
export function parseConfigs(args) {
  const out = [];
  for (const item of args.flatMap((a) => a.split(',')).filter(Boolean)) {
    const [variant, scenario] = item.split(':');
    if (!VARIANTS[variant]) throw new Error(`unknown variant "${variant}" (one of ${Object.keys(VARIANTS).join(', ')})`);
    if (scenario && !SCENARIO_ORDER.includes(scenario)) throw new Error(`unknown scenario "${scenario}" (one of ${SCENARIO_ORDER.join(', ')})`);
    for (const s of scenario ? [scenario] : SCENARIO_ORDER.slice(0, 8)) out.push({ variant, scenario: s });
  }
  return out;
}
