// Builds guards outside an engine: a fake clock, fake metrics driven by hand, recorded events.
import { FakeClock } from '../../src/clock.js';
import { EngineEvents, type EngineEventMap } from '../../src/events.js';
import { silentLogger } from '../../src/logger.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { GuardContext, Outcome } from '../../src/strategies/guard.js';
import { createSystemMetrics, type MetricProbe, type SystemMetrics } from '../../src/strategies/system-metrics.js';
import type { OverloadMetric, PerClient, SourceLocation } from '../../src/rules/types.js';
import { clientAddressReader, compileTrust } from '../../src/client/client-address.js';

export const LOCATION: SourceLocation = { file: 'test', line: 1, column: 1 };
export const meta = (name: string) => ({ name, namespace: undefined, app: undefined, location: LOCATION });
/** The per-client fields of a strategy that has no `limitBy` (a limit for the whole target). */
export const WHOLE_TARGET: PerClient = { limitBy: undefined, limitByOverrides: [], maxTrackedValues: 100_000 };

/** Metric values set by the test; the sampler reads them on its (fake) timer. */
export type MetricValues = Record<OverloadMetric, number>;

export interface TestContext extends GuardContext {
  readonly clock: FakeClock;
  readonly values: MetricValues;
  readonly metrics: SystemMetrics;
  /** Probes currently started, per metric. */
  readonly running: Record<OverloadMetric, number>;
  /** Every event emitted, in order, as [name, payload]. */
  readonly seen: [keyof EngineEventMap, unknown][];
}

export function testContext(options: { intervalMs?: number; target?: string } = {}): TestContext {
  const clock = new FakeClock(1_000);
  const values: MetricValues = { CpuPercentage: 0, SystemLoad: 0, EventLoopDelay: 0 };
  const running: Record<OverloadMetric, number> = { CpuPercentage: 0, SystemLoad: 0, EventLoopDelay: 0 };
  const probe = (metric: OverloadMetric) => (): MetricProbe => ({
    start: () => void (running[metric] += 1),
    read: () => values[metric],
    stop: () => void (running[metric] -= 1),
  });
  const metrics = createSystemMetrics({
    clock,
    intervalMs: options.intervalMs ?? 500,
    probes: { CpuPercentage: probe('CpuPercentage'), SystemLoad: probe('SystemLoad'), EventLoopDelay: probe('EventLoopDelay') },
  });
  const events = new EngineEvents();
  const seen: [keyof EngineEventMap, unknown][] = [];
  for (const name of ['breaker:state', 'overload:state'] as const) events.on(name, (payload: unknown) => seen.push([name, payload]));
  return {
    clock,
    store: createMemoryStore(),
    logger: silentLogger,
    events,
    key: 'test',
    target: options.target ?? '/t',
    metrics,
    clientAddress: clientAddressReader(compileTrust(undefined), 56, false, 'x-forwarded-for'),
    values,
    running,
    seen,
  };
}

export const finished = (statusCode = 200): Outcome => ({ type: 'finished', statusCode });
export const failed = (): Outcome => ({ type: 'failed', error: new Error('boom') });
export const abandoned: Outcome = { type: 'abandoned' };
