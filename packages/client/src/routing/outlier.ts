import type { Clock, Instance, Logger } from '@opensergo/core';
import type { InstanceFilter } from './balancer.js';

/**
 * Outlier detection (docs/routing.md), Envoy's consecutive-5xx detection in client form. Every
 * field is optional; the defaults are Envoy's.
 */
export interface OutlierOptions {
  /** Failures in a row (5xx, connection error, timeout) that eject an instance. Default 5 (Envoy `consecutive_5xx`). */
  readonly consecutiveFailures?: number;
  /** The first ejection's length; the n-th lasts n times as long. Default 30000 ms (Envoy `base_ejection_time`). */
  readonly baseEjectionMs?: number;
  /** The longest an ejection lasts. Default 300000 ms (Envoy `max_ejection_time`). */
  readonly maxEjectionMs?: number;
  /**
   * At most this share of an app's instances is ejected at once; at least one may be, and
   * never the last one left. Default 10 (Envoy `max_ejection_percent`).
   */
  readonly maxEjectionPercent?: number;
}

export const OUTLIER_DEFAULTS: Required<OutlierOptions> = Object.freeze({
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
});

/** One instance's record; kept by app and URL, since discovery may hand out new objects for it. */
interface Standing {
  readonly app: string;
  readonly url: string;
  failures: number;
  /** Ejections so far, less one for every `baseEjectionMs` it has since stayed in (Envoy's decay). */
  ejections: number;
  /** While ejected: when it comes back. */
  until: number;
  /** When it last came back; its next result is the probe. */
  back: number;
  probing: boolean;
}

/**
 * Whether one attempt on an instance counts against it: a 5xx or an error does (a refused or
 * reset connection, a timeout), the caller's own abort does not (`undefined`: no verdict).
 */
export function attemptFailed(result: number | Error): boolean | undefined {
  if (typeof result === 'number') return result >= 500;
  return result.name === 'AbortError' ? undefined : true;
}

/**
 * Ejects an instance that fails `consecutiveFailures` times in a row for `baseEjectionMs`
 * times the number of its ejections (at most `maxEjectionMs`); when that has passed it is back,
 * and its first result is the probe: a failure ejects it again, for longer, a success clears
 * it. Its {@link filter} leaves ejected instances out of routing.
 *
 * @example
 * ```ts
 * const outliers = new OutlierDetector(clock, logger, {});
 * outliers.report('backend', instance, 503);
 * routeStep({ …, filters: [outliers.filter] });
 * ```
 */
export class OutlierDetector {
  private readonly records = new Map<string, Standing>();
  private readonly ejected = new Set<Standing>();
  /** The number of live instances each app had when last routed. */
  private readonly sizes = new Map<string, number>();
  /** Filtered lists, kept while the same instance list comes in and no ejection changes. */
  private readonly kept = new WeakMap<readonly Instance[], { version: number; instances: readonly Instance[] }>();
  private version = 0;
  private readonly options: Required<OutlierOptions>;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: OutlierOptions,
  ) {
    this.options = { ...OUTLIER_DEFAULTS, ...options };
  }

  /** The result of one attempt on `instance` of `app`: a status code, or the error it failed with. */
  report(app: string, instance: Instance, result: number | Error): void {
    const failed = attemptFailed(result);
    if (failed === undefined) return;
    const key = `${app}\n${instance.url}`;
    let record = this.records.get(key);
    if (record === undefined) {
      if (!failed) return;
      this.records.set(key, (record = { app, url: instance.url, failures: 0, ejections: 0, until: 0, back: 0, probing: false }));
    }
    const now = this.clock.now();
    if (this.ejected.has(record)) {
      if (record.until > now) return; // sent before the ejection, answered after it
      this.release(record);
    }
    if (!failed) {
      record.failures = 0;
      record.probing = false;
      if (record.ejections === 0) this.records.delete(key);
      return;
    }
    record.failures += 1;
    if (record.probing || record.failures >= this.options.consecutiveFailures) this.eject(record, now);
  }

  /** The filter for the call path: leaves ejected instances out; free while none is. */
  readonly filter: InstanceFilter = (app, instances) => {
    this.sizes.set(app, instances.length);
    if (this.ejected.size === 0) return instances;
    const now = this.clock.now();
    for (const record of this.ejected) if (record.until <= now) this.release(record);
    if (this.ejected.size === 0) return instances;
    let cached = this.kept.get(instances);
    if (cached === undefined || cached.version !== this.version) {
      const out = instances.filter((i) => !this.isEjected(app, i));
      cached = { version: this.version, instances: out.length === instances.length ? instances : out };
      this.kept.set(instances, cached);
    }
    return cached.instances;
  };

  private isEjected(app: string, instance: Instance): boolean {
    const record = this.records.get(`${app}\n${instance.url}`);
    return record !== undefined && this.ejected.has(record);
  }

  private eject(record: Standing, now: number): void {
    const size = this.sizes.get(record.app) ?? 0;
    const allowed = Math.min(size - 1, Math.max(1, Math.floor((size * this.options.maxEjectionPercent) / 100)));
    let ejectedNow = 0;
    for (const other of this.ejected) if (other.app === record.app) ejectedNow += 1;
    if (ejectedNow >= allowed) return; // kept in: its failures go on counting
    const { baseEjectionMs, maxEjectionMs } = this.options;
    const stayedIn = record.ejections === 0 || baseEjectionMs === 0 ? 0 : Math.floor((now - record.back) / baseEjectionMs);
    record.ejections = Math.max(0, record.ejections - stayedIn) + 1;
    const forMs = Math.min(baseEjectionMs * record.ejections, Math.max(baseEjectionMs, maxEjectionMs));
    const why = record.probing ? 'its probe failed' : `${record.failures} failures in a row`;
    record.until = now + forMs;
    record.failures = 0;
    record.probing = false;
    this.ejected.add(record);
    this.version += 1;
    this.logger.warn(`instance ${record.url} of "${record.app}" ejected for ${forMs} ms (${why})`);
  }

  private release(record: Standing): void {
    this.ejected.delete(record);
    record.back = record.until;
    record.probing = true;
    this.version += 1;
  }
}
