// The scenario, shared by the tests that run a real engine against a control plane:
// `/fooa` limited to 3 per 5 s by a rule naming two strategies, each CR its own push.
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { createEngine, FakeClock, requestView, type Engine, type EngineEventMap } from '@opensergo/core';
import { createControlPlaneSource, FAULT_TOLERANCE_KINDS, type ControlPlaneSourceOptions } from '../src/index.js';
import { ftAny } from './control-plane-server.js';
import type { ReferenceControlPlane } from './reference-control-plane.js';

export const FT = 'fault-tolerance.opensergo.io/v1alpha1';
export const RULE = `${FT}/FaultToleranceRule`;
export const RATE_LIMIT = `${FT}/RateLimitStrategy`;
export const THROTTLING = `${FT}/ThrottlingStrategy`;
export const CONCURRENCY = `${FT}/ConcurrencyLimitStrategy`;
export const CIRCUIT_BREAKER = `${FT}/CircuitBreakerStrategy`;

/** One custom resource as the control plane's Kubernetes holds it: its protobuf message type and fields, and those encoded. */
export interface Cr {
  readonly kind: string;
  readonly name: string;
  readonly type: string;
  readonly fields: Record<string, unknown>;
  readonly data: ReturnType<typeof ftAny>;
}

const cr = (type: string, name: string, fields: Record<string, unknown>): Cr => ({ kind: `${FT}/${type}`, name, type, fields, data: ftAny(type, fields) });

/** A FaultToleranceRule CR (the name is the CR's; the message carries none). */
export const fooaRule = (strategies: readonly string[], target = '/fooa', name = 'fooa-rule'): Cr =>
  cr('FaultToleranceRule', name, { targets: [{ targetResourceName: target }], strategies: strategies.map((s) => ({ name: s })) });
export const rateLimit = (name: string, threshold: number, seconds: number): Cr => cr('RateLimitStrategy', name, { name, threshold, statDuration: seconds });
export const concurrency = (name: string, maxConcurrency: number): Cr => cr('ConcurrencyLimitStrategy', name, { name, maxConcurrency });

/** The rule list, its rate limit and its concurrency limit: three kinds, three pushes. */
export const FOOA: readonly Cr[] = [fooaRule(['rate-limit-fooa', 'concurrency-fooa']), rateLimit('rate-limit-fooa', 3, 5), concurrency('concurrency-fooa', 100)];

export function applyAll(plane: ReferenceControlPlane, crs: readonly Cr[]): void {
  for (const cr of crs) plane.apply(cr.kind, cr.name, cr.data);
}

/** How many of `attempts` GET requests on `path` the engine admits right now. */
export function admitted(engine: Engine, path: string, attempts: number): number {
  let n = 0;
  for (let i = 0; i < attempts; i++) {
    const decision = engine.enter(requestView('GET', path, {}));
    if (decision instanceof Promise) throw new Error('local limits decide synchronously');
    if (decision.type === 'pass') {
      n++;
      decision.entry?.exit({ type: 'finished', statusCode: 200 });
    }
  }
  return n;
}

export interface EngineClient {
  readonly engine: Engine;
  readonly clock: FakeClock;
  /** Every line the engine and the source logged, prefixed with its level. */
  readonly log: string[];
  /** Every `rules:pending` event: the names of the pending rules and what they wait for. */
  readonly pending: string[][];
}

/**
 * An engine (fake clock, recording logger) fed by a control-plane source subscribed to `plane`,
 * the way a service in namespace `default`, app `foo-app` is; closed when the test ends.
 * Resolves once the source is connected and every kind subscribed.
 */
export async function engineClient(
  t: TestContext,
  plane: ReferenceControlPlane,
  options: Partial<ControlPlaneSourceOptions> = {},
): Promise<EngineClient> {
  const log: string[] = [];
  const logger = { info: (m: string) => log.push(`info ${m}`), warn: (m: string) => log.push(`warn ${m}`), error: (m: string) => log.push(`error ${m}`) };
  const clock = new FakeClock();
  const engine = createEngine({ app: 'foo-app', namespace: 'default', clock, logger, controlPlane: false });
  const pending: string[][] = [];
  engine.events.on('rules:pending', (e: EngineEventMap['rules:pending'][0]) => pending.push(e.pending.map((p) => `${p.name} waits for ${p.waitsFor.join(', ')}`)));
  const before = plane.requests.length;
  const connected = once(engine.events, 'source:connected');
  engine.addSource(
    createControlPlaneSource({ endpoint: plane.endpoint, namespace: 'default', app: 'foo-app', identifier: 'foo-app-pod', backoff: { initialMs: 50, maxMs: 200 }, logger, ...options }),
  );
  t.after(async () => {
    await engine.close();
    plane.stop();
  });
  await Promise.all([connected, plane.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length, before)]);
  return { engine, clock, log, pending };
}
