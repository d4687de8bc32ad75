// YAML builders for rate-limit rules, shared by the core tests and the conformance suite.
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine.js';
import { requestView } from '../../src/request-view.js';

/** A RateLimitStrategy document. */
export const rateLimitStrategy = (name: string, threshold: number, mode = 'Local', window = '1s'): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: ${name} }
spec: { metricType: RequestAmount, limitMode: ${mode}, threshold: ${threshold}, statDuration: ${window} }`;

/** A FaultToleranceRule document over `targets` with the named strategies. */
export const faultToleranceRule = (name: string, targets: readonly string[], strategies: readonly string[]): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: ${name} }
spec:
  targets: [${targets.map((t) => `{ targetResourceName: '${t}' }`).join(', ')}]
  strategies: [${strategies.map((s) => `{ name: ${s} }`).join(', ')}]`;

/** A strategy named `name` and a rule `rule-<name>` applying it to `target`. */
export const limitedTarget = (name: string, target: string, threshold: number, window = '1s'): string =>
  `${rateLimitStrategy(name, threshold, 'Local', window)}\n---${faultToleranceRule(`rule-${name}`, [target], [name])}\n`;

/** How many of `attempts` synchronous GET decisions on `path` pass. */
export function admitted(engine: Engine, path: string, attempts: number): number {
  let n = 0;
  for (let i = 0; i < attempts; i++) {
    const d = engine.enter(requestView('GET', path, {}));
    assert.ok(!(d instanceof Promise), 'memory-store rate limits decide synchronously');
    if (d.type === 'pass') n++;
  }
  return n;
}
