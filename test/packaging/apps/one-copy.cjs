// Loads every package both ways, require() and import(), and prints what a user would check:
// one copy of each module, so classes match across the two and across packages.
const checks = {};
async function main() {
  for (const name of ['core', 'express', 'koa', 'fastify', 'redis', 'control-plane']) {
    const required = require(`@opensergo/${name}`);
    const imported = await import(`@opensergo/${name}`);
    checks[name] = Object.keys(imported).every((key) => required[key] === imported[key]);
  }
  const core = await import('@opensergo/core');
  const { opensergo } = require('@opensergo/express');
  try {
    opensergo({ rules: 'apiVersion: fault-tolerance.opensergo.io/v1alpha1\nkind: RateLimitStrategyy\nmetadata: { name: x }\n' });
  } catch (error) {
    checks.errorIsCoreClass = error instanceof core.OpenSergoError && core.isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID');
  }
  console.log(JSON.stringify(checks));
}
main();
