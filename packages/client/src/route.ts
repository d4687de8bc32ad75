import { OpenSergoError, type Discovery, type Engine, type Instance, type RouteDestination } from '@opensergo/core';
import { refusedFor, type CallStep, type OutgoingCall } from './call.js';
import { endpointOf } from './endpoint.js';
import { applyFilters, type Balancer, type InstanceFilter } from './routing/balancer.js';
import { labelLane, subsetOf } from './routing/lanes.js';
import { routersOf } from './routing/traffic-router.js';

/** What the route step works with. */
export interface RouteSetup {
  readonly engine: Engine;
  /** Asked in order; the first that knows an app answers for it. */
  readonly discovery: readonly Discovery[];
  /** Host (`host` or `host:port`, lower-case) → app, where a host does not name its app. */
  readonly hosts: ReadonlyMap<string, string>;
  /** Applied to every app's live instances before routing (a filter never leaves none). */
  readonly filters: readonly InstanceFilter[];
  readonly balancer: Balancer;
}

/** Thrown inside selection when a discovery source must be waited for; selection runs again. */
class Pending {
  constructor(readonly promise: Promise<unknown>) {}
}

type Lookup = (app: string) => readonly Instance[] | undefined;

function noInstance(app: string, setup: RouteSetup): OpenSergoError {
  const sources = setup.discovery.map((d) => d.name).join(', ');
  return new OpenSergoError('ERR_OPENSERGO_NO_INSTANCE', `no live instance of "${app}" to call (discovery: ${sources})`);
}

/**
 * The route step (docs/routing.md): the callee is the app the call's host names (or `hosts` maps
 * it to); a TrafficRouter for that host chooses the destination, else label routing does, over
 * the callee's live instances; then the balancer picks one instance of the eligible ones. A host
 * no discovery source knows is sent unchanged; a known app with no live instance fails with
 * `ERR_OPENSERGO_NO_INSTANCE`, naming it.
 *
 * @example
 * ```ts
 * const steps = [propagate, routeStep(setup)];
 * ```
 */
export function routeStep(setup: RouteSetup): CallStep {
  const appOf = (host: string): string => setup.hosts.get(host.toLowerCase()) ?? host;
  const calleeOf = (call: OutgoingCall): string =>
    setup.hosts.size === 0 ? call.hostname : (setup.hosts.get(call.host.toLowerCase()) ?? setup.hosts.get(call.hostname.toLowerCase()) ?? call.hostname);

  function live(app: string, call: OutgoingCall): readonly Instance[] | undefined {
    for (const source of setup.discovery) {
      const found = source.instances(app);
      if (found === undefined) continue;
      if (found instanceof Promise) throw new Pending(found);
      let instances = applyFilters(setup.filters, app, found);
      if (call.refused.length) {
        const kept = instances.filter((i) => !refusedFor(call, i));
        if (kept.length) instances = kept;
      }
      return instances;
    }
    return undefined;
  }

  function send(call: OutgoingCall, app: string, eligible: readonly Instance[]): void {
    call.callee = app;
    call.endpoint = endpointOf(setup.balancer.choose(eligible));
  }

  /** A TrafficRouter destination (docs/routing.md): its subset, else its fallback, else label routing. */
  function toDestination(call: OutgoingCall, d: RouteDestination, lookup: Lookup): boolean {
    const app = appOf(d.host);
    const instances = lookup(app);
    if (instances === undefined) return false;
    if (d.subset !== undefined) {
      const subset = subsetOf(instances, d.subset);
      if (subset.length) return send(call, app, subset), true;
    }
    const fallbackApp = d.fallback === undefined ? app : appOf(d.fallback.host);
    const fallback = fallbackApp === app ? instances : (lookup(fallbackApp) ?? []);
    if (d.fallback?.subset !== undefined) {
      const subset = subsetOf(fallback, d.fallback.subset);
      if (subset.length) return send(call, fallbackApp, subset), true;
    }
    if (fallback.length) return send(call, fallbackApp, labelLane(fallback, call.labels)), true;
    throw noInstance(fallbackApp, setup);
  }

  function select(call: OutgoingCall): void {
    const lookup: Lookup = (app) => live(app, call);
    const app = calleeOf(call);
    const routes = routersOf(setup.engine.rules);
    const hostRoutes = routes.size === 0 ? undefined : (routes.get(call.host.toLowerCase()) ?? routes.get(call.hostname.toLowerCase()) ?? routes.get(app));
    if (hostRoutes !== undefined) {
      const attributes = setup.engine.workload.attributes;
      for (const route of hostRoutes) {
        if (!route.matches(call, attributes)) continue;
        if (toDestination(call, route.pick(), lookup)) return;
        break;
      }
    }
    const instances = lookup(app);
    if (instances === undefined) return;
    if (instances.length === 0) throw noInstance(app, setup);
    send(call, app, labelLane(instances, call.labels));
  }

  const attempt = (call: OutgoingCall): void | Promise<void> => {
    try {
      select(call);
      return undefined;
    } catch (err) {
      if (err instanceof Pending) return err.promise.then(() => attempt(call));
      throw err;
    }
  };
  return attempt;
}
