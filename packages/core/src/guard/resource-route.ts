import { indexFor, type CompiledRules } from '../guard-registry.js';
import { defaultRouting } from '../matching/path-routing.js';
import type { Route } from '../matching/resource-index.js';
import { parseResourcePattern } from '../matching/resource-pattern.js';

/** Names remembered per rule set before the cache starts over (names with ids in them are unbounded). */
const CACHE_LIMIT = 10_000;

function find(compiled: CompiledRules, resource: string): Route | undefined {
  const named = compiled.names.get(resource);
  if (named !== undefined) return named;
  const pattern = parseResourcePattern(resource, !compiled.foldCase);
  if (typeof pattern === 'string' || pattern.scope === 'name') return undefined;
  // A name without a method matches the targets for any method.
  const method = pattern.method ?? '';
  if (pattern.scope === 'incoming') return indexFor(compiled, defaultRouting(!compiled.foldCase)).lookup(method, pattern.path);
  return compiled.outgoing.get(pattern.origin!)?.lookup(method, pattern.path);
}

/**
 * The route `guard(resource, …)` decides on: a free-form name's own targets, matched exactly;
 * for a name that is a path or a URL (`GET:/users/7`, `GET:http://backend/users/7`), the
 * incoming or outgoing targets that match it, as a request or call would. Remembered per rule
 * set, so a guard on a fixed name costs one map lookup.
 *
 * @example
 * ```ts
 * const route = routeOf(compiled, 'db:orders.select');
 * ```
 */
export function routeOf(compiled: CompiledRules, resource: string): Route | undefined {
  const cache = compiled.guarded;
  const known = cache.get(resource);
  if (known !== undefined) return known ?? undefined;
  const route = find(compiled, resource);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(resource, route ?? null);
  return route;
}
