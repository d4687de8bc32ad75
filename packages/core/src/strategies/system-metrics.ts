import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Clock, Timer } from '../clock.js';
import type { OverloadMetric } from '../rules/types.js';

/**
 * The process signals adaptive overload protection reads, sampled on one timer per engine
 * (never per request). Values, in the units `triggerThreshold` is normalised to:
 * - `CpuPercentage`: this process's CPU time per wall-clock time over the last interval, as a
 *   ratio where 1 is one core fully busy (like `top`'s %CPU / 100; not divided by the number
 *   of cores, because a Node process's JavaScript runs on one core).
 * - `SystemLoad`: the host's 1-minute load average (`os.loadavg()[0]`; always 0 on Windows).
 * - `EventLoopDelay`: milliseconds; the p99 of the event loop's delay over the last interval
 *   (`perf_hooks.monitorEventLoopDelay`, 10 ms resolution), or the sampler's own timer lag
 *   when that is larger (a loop blocked for the whole interval).
 */
export interface SystemMetrics {
  /** How often values are refreshed while anything is subscribed. */
  readonly intervalMs: number;
  /** The latest sample of `metric` (0 before the first sample). */
  value(metric: OverloadMetric): number;
  /** Samples `metric` while subscribed and calls `listener` after every sample. Returns unsubscribe. */
  subscribe(metric: OverloadMetric, listener: () => void): () => void;
  /** Stops the timer and every probe (the engine is closing). Subscribing again restarts it. */
  stop(): void;
}

/** One signal: started when first needed, read once per interval, stopped when unused. */
export interface MetricProbe {
  start(): void;
  /** `lagMs`: how late the sampling timer fired. */
  read(lagMs: number): number;
  stop(): void;
}

const ELD_RESOLUTION_MS = 10;

function cpuProbe(): MetricProbe {
  // CPU time is real time, so the wall-clock side of the ratio is too (not the injected clock).
  let cpu = process.cpuUsage();
  let at = performance.now();
  return {
    start() {
      cpu = process.cpuUsage();
      at = performance.now();
    },
    read() {
      const nextCpu = process.cpuUsage();
      const nextAt = performance.now();
      const usedMs = (nextCpu.user - cpu.user + nextCpu.system - cpu.system) / 1000;
      const ratio = nextAt > at ? usedMs / (nextAt - at) : 0;
      cpu = nextCpu;
      at = nextAt;
      return ratio;
    },
    stop() {},
  };
}

function eventLoopDelayProbe(): MetricProbe {
  let histogram: ReturnType<typeof monitorEventLoopDelay> | undefined;
  return {
    start() {
      histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
      histogram.enable();
    },
    read(lagMs) {
      if (!histogram) return lagMs;
      // The histogram records whole timer periods, resolution included.
      const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e6 - ELD_RESOLUTION_MS : 0;
      histogram.reset();
      return Math.max(0, p99, lagMs);
    },
    stop() {
      histogram?.disable();
      histogram = undefined;
    },
  };
}

const loadProbe = (): MetricProbe => ({ start() {}, read: () => loadavg()[0] ?? 0, stop() {} });

/** The real probes, one per metric. */
export const SYSTEM_PROBES: Readonly<Record<OverloadMetric, () => MetricProbe>> = {
  CpuPercentage: cpuProbe,
  SystemLoad: loadProbe,
  EventLoopDelay: eventLoopDelayProbe,
};

interface Sampled {
  readonly probe: MetricProbe;
  readonly listeners: Set<() => void>;
  value: number;
}

/**
 * Creates the sampler an engine shares between its adaptive guards. The timer runs only while
 * a guard subscribes, is unref'd, and stops with the last unsubscribe or `stop()`.
 *
 * @example
 * ```ts
 * import { createSystemMetrics, systemClock } from '@opensergo/core';
 * const metrics = createSystemMetrics({ clock: systemClock });
 * const off = metrics.subscribe('EventLoopDelay', () => console.log(metrics.value('EventLoopDelay')));
 * off();
 * ```
 */
export function createSystemMetrics(options: {
  readonly clock: Clock;
  readonly intervalMs?: number;
  /** Replace how a metric is read (tests drive values by hand). */
  readonly probes?: Partial<Record<OverloadMetric, () => MetricProbe>>;
}): SystemMetrics {
  const { clock } = options;
  const intervalMs = options.intervalMs ?? 500;
  const sampled = new Map<OverloadMetric, Sampled>();
  let timer: Timer | undefined;
  let due = 0;

  const tick = (): void => {
    const now = clock.now();
    const lagMs = Math.max(0, now - due);
    for (const entry of sampled.values()) entry.value = entry.probe.read(lagMs);
    due = now + intervalMs;
    timer = clock.setTimer(tick, intervalMs);
    for (const entry of [...sampled.values()]) for (const listener of [...entry.listeners]) listener();
  };

  const stopTimer = (): void => {
    if (timer !== undefined) clock.clearTimer(timer);
    timer = undefined;
  };

  return {
    intervalMs,
    value: (metric) => sampled.get(metric)?.value ?? 0,
    subscribe(metric, listener) {
      let entry = sampled.get(metric);
      if (!entry) {
        const probe = (options.probes?.[metric] ?? SYSTEM_PROBES[metric])();
        probe.start();
        entry = { probe, listeners: new Set(), value: 0 };
        sampled.set(metric, entry);
      }
      entry.listeners.add(listener);
      if (timer === undefined) {
        due = clock.now() + intervalMs;
        timer = clock.setTimer(tick, intervalMs);
      }
      const owner = entry;
      return () => {
        if (!owner.listeners.delete(listener) || owner.listeners.size > 0) return;
        owner.probe.stop();
        if (sampled.get(metric) === owner) sampled.delete(metric);
        if (sampled.size === 0) stopTimer();
      };
    },
    stop() {
      stopTimer();
      for (const entry of sampled.values()) entry.probe.stop();
      sampled.clear();
    },
  };
}
