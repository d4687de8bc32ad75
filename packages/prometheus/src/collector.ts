import type { Engine, MetricsSnapshot } from '@opensergo/core';
import { FAMILIES, type Family, type Render } from './metric-families.js';
import type { RuleMetrics } from '@opensergo/core';

/** The part of prom-client's `Registry` used here (prom-client 15). */
export interface RegistryLike {
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
  /** prom-client's: the text format, Prometheus's or OpenMetrics'. */
  readonly contentType?: string;
}

export interface CollectorOptions {
  /** The registry to register on. Default: prom-client's global `register`, passed in by you. */
  readonly registry: RegistryLike;
  /** Prefix of every metric name. Default `opensergo_`. */
  readonly prefix?: string;
  /** Labels added to every sample (e.g. `{ app: 'checkout' }`, to tell two engines apart on one registry). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** What `collectOpenSergoMetrics` returns: the names it registered, and how to take them off. */
export interface Collector {
  readonly names: readonly string[];
  /** Removes the metrics from the registry. */
  unregister(): void;
}

/** A label value as the text format writes it: `\\`, `\n` and `"` escaped. */
const escape = (value: string | number): string => String(value).replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

function renderer(prefix: string, constant: Readonly<Record<string, string>> | undefined): Render {
  const label = (name: string, value: string | number): string => `${name}="${escape(value)}"`;
  const extra = constant ? Object.entries(constant).map(([k, v]) => label(k, v)).join(',') : '';
  // Rows are new objects at each scrape, so this memo serves one scrape and is then collected.
  const rows = new WeakMap<RuleMetrics, string>();
  const target = (row: RuleMetrics): string => `${label('resource', row.resource)},${label('rule', row.rule)}`;
  return {
    label,
    series(name, labels = '') {
      const all = extra === '' ? labels : labels === '' ? extra : `${labels},${extra}`;
      return all === '' ? `${prefix}${name}` : `${prefix}${name}{${all}}`;
    },
    target,
    rule(row) {
      let text = rows.get(row);
      if (text === undefined) {
        text = `${target(row)},${label('strategy', row.strategy)},kind="${row.kind}"`;
        rows.set(row, text);
      }
      return text;
    },
  };
}

const NO_LABELS = Object.freeze({});
const OPENMETRICS = /^application\/openmetrics-text/;

/**
 * Whether the registry writes a sample as it is given: a name with its labels already in it.
 * prom-client appends the registry's default labels (`setDefaultLabels`) to every sample, and
 * `_total` to counters' names in OpenMetrics, which after rendered labels makes a line no
 * scraper reads (`name{…}{pod="a"} 1`, and Prometheus drops the whole scrape, the app's own
 * metrics too). Default labels have no public getter; a registry that does not show them as
 * prom-client 15 does is not assumed to have none.
 */
function writesAsGiven(registry: RegistryLike): boolean {
  if (registry.contentType !== undefined && OPENMETRICS.test(registry.contentType)) return false;
  const defaults = (registry as { _defaultLabels?: unknown })._defaultLabels;
  return typeof defaults === 'object' && defaults !== null && Object.keys(defaults).length === 0;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** `name{a="x",b="y"}` as prom-client's `metricName` and `labels`, unescaped (it escapes them again). */
function labelled(series: string): { metricName: string; labels: Record<string, string> } {
  const brace = series.indexOf('{');
  if (brace < 0) return { metricName: series, labels: {} };
  const labels: Record<string, string> = {};
  for (const [, name, value] of series.slice(brace).matchAll(LABEL)) labels[name!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return { metricName: series.slice(0, brace), labels };
}

/**
 * A prom-client metric whose values are read from the engine when the registry is scraped. The
 * families of one scrape share one snapshot (they are read within the same tick). Each sample
 * comes with its series name already rendered and no separate labels, which prom-client writes
 * as it is.
 */
class EngineMetric {
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly type: Family['type'];

  constructor(
    private readonly family: Family,
    prefix: string,
    private readonly read: () => MetricsSnapshot,
    private readonly render: Render,
    private readonly registry: RegistryLike,
  ) {
    this.name = `${prefix}${family.name}`;
    this.help = family.help;
    this.type = family.type;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: unknown[] }> {
    const samples = this.family.samples(this.read(), this.render);
    let values: unknown[];
    if (writesAsGiven(this.registry)) values = samples.map((s) => ({ metricName: s.series, labels: NO_LABELS, value: s.value }));
    else {
      // prom-client formats these itself; in OpenMetrics it names a counter's samples `<name>_total`.
      const counter = this.type === 'counter' && this.registry.contentType !== undefined && OPENMETRICS.test(this.registry.contentType);
      values = samples.map((s) => {
        const { metricName, labels } = labelled(s.series);
        return { metricName: counter ? metricName.replace(/_total$/, '') : metricName, labels, value: s.value };
      });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {}
}

/**
 * Registers the engine's metrics on a prom-client registry: requests passed / blocked /
 * would-block per (resource, rule, strategy, kind), failures, in-flight requests, response
 * times, breaker states, queue lengths, rules in force, sources and store. Nothing runs until
 * the registry is scraped; the request path is not touched.
 *
 * @example
 * ```js
 * import { Registry } from 'prom-client';
 * import { collectOpenSergoMetrics, metricsHandler } from '@opensergo/prometheus';
 * const registry = new Registry();
 * collectOpenSergoMetrics(governance.engine, { registry });
 * app.get('/metrics', metricsHandler(registry));
 * ```
 */
export function collectOpenSergoMetrics(engine: Engine, options: CollectorOptions): Collector {
  const prefix = options.prefix ?? 'opensergo_';
  let cached: MetricsSnapshot | undefined;
  const read = (): MetricsSnapshot => {
    if (cached === undefined) {
      cached = engine.metrics();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  const render = renderer(prefix, options.labels);
  const metrics = FAMILIES.map((family) => new EngineMetric(family, prefix, read, render, options.registry));
  for (const metric of metrics) options.registry.registerMetric(metric as never);
  const names = metrics.map((m) => m.name);
  return {
    names,
    unregister: () => {
      for (const name of names) options.registry.removeSingleMetric(name);
    },
  };
}
