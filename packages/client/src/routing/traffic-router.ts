import type { HttpRoute, RouteDestination, RouteMatch, RuleSet, StringMatch, TrafficRouter } from '@opensergo/core';
import type { OutgoingCall } from '../call.js';

/** One `http[]` entry of a TrafficRouter, ready to match calls and split them by weight. */
export interface CompiledRoute {
  /** Where it came from, for errors: `TrafficRouter/name http[i]`. */
  readonly where: string;
  matches(call: OutgoingCall, attributes: Readonly<Record<string, string>>): boolean;
  /** The next destination, by smooth weighted round robin (exact shares, no randomness). */
  pick(): RouteDestination;
}

/** The routes of the TrafficRouters for one host, first match wins. */
export type HostRoutes = readonly CompiledRoute[];

const compiled = new WeakMap<RuleSet, ReadonlyMap<string, HostRoutes>>();

/**
 * The TrafficRouters of `ruleSet` by host (lower-case), compiled once per rule set. A host
 * named by several routers gets their routes in file order.
 *
 * @example
 * ```ts
 * const routes = routersOf(engine.rules).get('backend');
 * ```
 */
export function routersOf(ruleSet: RuleSet): ReadonlyMap<string, HostRoutes> {
  let byHost = compiled.get(ruleSet);
  if (byHost === undefined) {
    const map = new Map<string, CompiledRoute[]>();
    for (const router of ruleSet.trafficRouters) {
      const routes = router.http.map((route, i) => compileRoute(router, route, i));
      for (const host of router.hosts) {
        const key = host.toLowerCase();
        map.set(key, [...(map.get(key) ?? []), ...routes]);
      }
    }
    byHost = map;
    compiled.set(ruleSet, byHost);
  }
  return byHost;
}

function compileRoute(router: TrafficRouter, route: HttpRoute, index: number): CompiledRoute {
  const weights = route.route.map((r) => r.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  return {
    where: `TrafficRouter/${router.name} http[${index}]`,
    matches: (call, attributes) => route.match.length === 0 || route.match.some((m) => matchHolds(m, call, attributes)),
    pick() {
      let best = 0;
      for (let i = 0; i < weights.length; i++) {
        current[i]! += weights[i]!;
        if (current[i]! > current[best]!) best = i;
      }
      current[best]! -= total;
      return route.route[best]!.destination;
    },
  };
}

function stringHolds(match: StringMatch, value: string, foldCase = false): boolean {
  if (match.exact !== undefined) return foldCase ? value.toLowerCase() === match.exact.toLowerCase() : value === match.exact;
  if (match.prefix !== undefined) return foldCase ? value.toLowerCase().startsWith(match.prefix.toLowerCase()) : value.startsWith(match.prefix);
  return match.regex !== undefined && match.regex.test(value);
}

/** The conditions of one match entry, ANDed, against the call as it will be sent (docs/routing.md). */
function matchHolds(m: RouteMatch, call: OutgoingCall, attributes: Readonly<Record<string, string>>): boolean {
  const q = call.path.indexOf('?');
  if (m.uri !== undefined && !stringHolds(m.uri, q === -1 ? call.path : call.path.slice(0, q), m.ignoreUriCase)) return false;
  if (m.method !== undefined && !stringHolds(m.method, call.method.toUpperCase())) return false;
  for (const name in m.headers) {
    const value = call.header(name);
    if (value === undefined || !stringHolds(m.headers[name]!, value)) return false;
  }
  for (const name in m.withoutHeaders) {
    const value = call.header(name);
    if (value !== undefined && stringHolds(m.withoutHeaders[name]!, value)) return false;
  }
  for (const key in m.sourceLabels) if (attributes[key] !== m.sourceLabels[key]) return false;
  let query: URLSearchParams | undefined;
  for (const name in m.queryParams) {
    query ??= new URLSearchParams(q === -1 ? '' : call.path.slice(q + 1));
    const value = query.get(name);
    if (value === null || !stringHolds(m.queryParams[name]!, value)) return false;
  }
  return true;
}
