// Module resolve hook (registered by server.js for express4/koa2/fastify4): imports made by the
// benchmark servers (servers/*.js) of the names in `redirect` resolve to their replacement,
// e.g. `express` → the `express4` alias. Imports from anywhere else are left alone.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

let redirect = {};

export function initialize(data) {
  redirect = data.redirect;
}

export function resolve(specifier, context, next) {
  const to = redirect[specifier];
  if (to === undefined || !context.parentURL?.includes('/benchmarks/servers/')) return next(specifier, context);
  return next(path.isAbsolute(to) ? pathToFileURL(to).href : to, context);
}
