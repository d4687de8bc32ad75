// Koa setups: bare, with @opensergo/koa, with koa-ratelimit (memory driver).
import Koa from 'koa';
import ratelimit from 'koa-ratelimit';
import { opensergo } from '@opensergo/koa';
import { observe } from '../lib/observe.js';
import { ROUTE } from '../lib/rules.js';
import { listen } from '../lib/listen.js';
import * as stopwatch from '../lib/stopwatch.js';

/**
 * Starts the Koa app of `scenario` on a free loopback port.
 * @param {{ setup: string, limit?: number }} scenario
 * @param {{ rules?: string, logger: object }} options rules as YAML text for `opensergo`
 * @returns {Promise<{ port: number, close(): Promise<void> }>}
 */
export async function start(scenario, { rules, logger }) {
  const app = new Koa();
  if (scenario.stopwatch) app.use((ctx, next) => (stopwatch.start(ctx.req), next()));
  if (scenario.setup === 'opensergo') {
    const governance = opensergo({ rules, logger, requestContext: scenario.requestContext === true });
    if (scenario.observed) {
      const page = observe(governance.engine);
      app.use((ctx, next) => (page.matches(ctx.originalUrl) ? ((ctx.respond = false), page(ctx.req, ctx.res)) : next()));
    }
    app.use(governance);
  }
  if (scenario.setup === 'noop') app.use((_ctx, next) => next());
  if (scenario.setup === 'peer') {
    app.use(ratelimit({ driver: 'memory', db: new Map(), duration: 1000, max: scenario.limit, id: (ctx) => ctx.ip }));
  }
  if (scenario.stopwatch) app.use((ctx, next) => (stopwatch.stop(ctx.req), next()));
  app.use((ctx) => {
    if (ctx.method === 'GET' && ctx.path === ROUTE) ctx.body = { hello: 'world' };
  });
  return listen(app.listen(0, '127.0.0.1'));
}
