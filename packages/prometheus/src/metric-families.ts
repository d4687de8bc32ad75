import type { MetricsSnapshot, RuleMetrics } from '@opensergo/core';


/** One sample, `name{labels}` already rendered (see `Render`), and its value. */
export interface Sample {
  readonly series: string;
  readonly value: number;
}

/**
 * Renders series names. Labels are written once per row and scrape, not once per sample: with
 * 1,000 resources a scrape has ~40,000 samples, and prom-client's per-label formatting of each
 * made it take seconds.
 */
export interface Render {
  /** `<prefix><name>{<labels>}` (with the constant labels), or without braces when there are none. */
  series(name: string, labels?: string): string;
  /** `resource="…",rule="…",strategy="…",kind="…"` of a row. */
  rule(row: RuleMetrics): string;
  /** `resource="…",rule="…"` of a row. */
  target(row: RuleMetrics): string;
  /** One `name="value"` label, escaped. */
  label(name: string, value: string | number): string;
}

/** A metric family: its name without prefix, help, type, and samples from a snapshot. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  samples(snapshot: MetricsSnapshot, render: Render): Sample[];
}

/** One sample per row that has `value`. */
function perRule(name: string, value: (r: RuleMetrics) => number | undefined): Family['samples'] {
  return (snapshot, render) => {
    const out: Sample[] = [];
    for (const r of snapshot.resources) {
      const v = value(r);
      if (v !== undefined) out.push({ series: render.series(name, render.rule(r)), value: v });
    }
    return out;
  };
}

/**
 * The first row of each (target, rule): failures, in-flight requests and response times are
 * kept per target of a rule, the same in the rows of each of its strategies.
 */
function perTarget(rows: readonly RuleMetrics[]): RuleMetrics[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.resource}\u0000${r.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One sample per (target, rule). */
function perTargetOf(name: string, value: (r: RuleMetrics) => number): Family['samples'] {
  return (snapshot, render) => perTarget(snapshot.resources).map((r) => ({ series: render.series(name, render.target(r)), value: value(r) }));
}

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
const asNumber = (flag: boolean | undefined): number | undefined => (flag === undefined ? undefined : flag ? 1 : 0);

/**
 * The families `@opensergo/prometheus` exports, named without their prefix. Every figure comes
 * from one `engine.metrics()` snapshot per scrape.
 */
export const FAMILIES: readonly Family[] = [
  {
    name: 'requests_total',
    help: 'Requests through each (target, strategy) of each rule, by result: passed (every check admitted it), blocked (this strategy refused it), would_block (this strategy would have refused it; admitted in dry run).',
    type: 'counter',
    samples: (snapshot, render) => {
      const out: Sample[] = [];
      for (const r of snapshot.resources) {
        const labels = render.rule(r);
        out.push(
          { series: render.series('requests_total', `${labels},result="passed"`), value: r.passed },
          { series: render.series('requests_total', `${labels},result="blocked"`), value: r.blocked },
          { series: render.series('requests_total', `${labels},result="would_block"`), value: r.wouldBlock },
        );
      }
      return out;
    },
  },
  {
    name: 'request_failures_total',
    help: 'Admitted requests of each target of each rule that failed (an error, or a 5xx status), on routes whose outcomes are followed.',
    type: 'counter',
    samples: perTargetOf('request_failures_total', (r) => r.failed),
  },
  {
    name: 'requests_in_flight',
    help: 'Admitted requests of each target of each rule not finished yet, on routes whose outcomes are followed.',
    type: 'gauge',
    samples: perTargetOf('requests_in_flight', (r) => r.inFlight),
  },
  {
    name: 'request_duration_seconds',
    help: 'Response time of admitted requests of each target of each rule, from arrival at the middleware to the end of the response, on routes whose outcomes are followed.',
    type: 'histogram',
    samples: (snapshot, render) => {
      const bounds = snapshot.durationBucketsMs.map((ms) => `,le="${ms / 1000}"`).concat(',le="+Inf"');
      const out: Sample[] = [];
      for (const r of perTarget(snapshot.resources)) {
        const { cumulative, sumMs, count } = r.duration;
        if (count === 0) continue;
        const labels = render.target(r);
        for (let i = 0; i < bounds.length; i++) out.push({ series: render.series('request_duration_seconds_bucket', labels + bounds[i]!), value: cumulative[i]! });
        out.push({ series: render.series('request_duration_seconds_sum', labels), value: sumMs / 1000 });
        out.push({ series: render.series('request_duration_seconds_count', labels), value: count });
      }
      return out;
    },
  },
  {
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state: 1 for the state it is in (closed, open, half-open), 0 for the others.',
    type: 'gauge',
    samples: (snapshot, render) =>
      snapshot.resources.flatMap((r) =>
        r.breaker === undefined
          ? []
          : BREAKER_STATES.map((state) => ({ series: render.series('circuit_breaker_state', `${render.rule(r)},state="${state}"`), value: r.breaker === state ? 1 : 0 })),
      ),
  },
  {
    name: 'throttling_queue_length',
    help: 'Requests waiting in a throttling queue.',
    type: 'gauge',
    samples: perRule('throttling_queue_length', (r) => r.queued),
  },
  {
    name: 'concurrency_permits_in_use',
    help: 'Concurrency permits held by requests in progress (local concurrency limits).',
    type: 'gauge',
    samples: perRule('concurrency_permits_in_use', (r) => r.permits),
  },
  {
    name: 'overload_shedding',
    help: 'Adaptive overload protection is shedding load (1) or not (0).',
    type: 'gauge',
    samples: perRule('overload_shedding', (r) => asNumber(r.shedding)),
  },
  {
    name: 'rules',
    help: 'Rules in force, by type; pending rules wait for a strategy or fallback no source defines yet.',
    type: 'gauge',
    samples: ({ rules }, render) => [
      { series: render.series('rules', 'type="fault_tolerance"'), value: rules.faultToleranceRules },
      { series: render.series('rules', 'type="traffic_label"'), value: rules.trafficLabelRules },
      { series: render.series('rules', 'type="pending"'), value: rules.pending.length },
    ],
  },
  {
    name: 'rules_info',
    help: 'The rules in force: which source applied them, and its version. Always 1.',
    type: 'gauge',
    samples: ({ rules }, render) => [
      { series: render.series('rules_info', `${render.label('source', rules.source)},${render.label('version', rules.version ?? '')}`), value: 1 },
    ],
  },
  {
    name: 'rules_applied_timestamp_seconds',
    help: 'When the rules in force were applied (Unix time).',
    type: 'gauge',
    samples: ({ rules }, render) => [{ series: render.series('rules_applied_timestamp_seconds'), value: Date.parse(rules.appliedAt) / 1000 }],
  },
  {
    name: 'source_connected',
    help: 'Whether each rule source is connected (1) or not (0); a disconnected source keeps its last good rules.',
    type: 'gauge',
    samples: ({ sources }, render) =>
      sources.map((s) => ({ series: render.series('source_connected', `${render.label('source', s.name)},${render.label('version', s.version ?? '')}`), value: s.connected ? 1 : 0 })),
  },
  {
    name: 'source_error',
    help: 'Whether the last update from each rule source failed (1) or not (0).',
    type: 'gauge',
    samples: ({ sources }, render) => sources.map((s) => ({ series: render.series('source_error', render.label('source', s.name)), value: s.lastError === undefined ? 0 : 1 })),
  },
  {
    name: 'store_available',
    help: 'Whether the store answers (1) or not (0, Global limits fall back to local enforcement).',
    type: 'gauge',
    samples: ({ store }, render) => [
      { series: render.series('store_available', `${render.label('store', store.name)},shared="${store.shared}"`), value: store.available ? 1 : 0 },
    ],
  },
  {
    name: 'store_late_decisions_total',
    help: "Decisions taken without the store because its reply came after its timeout: admitted within the local share (local) or refused (refused).",
    type: 'counter',
    samples: ({ store }, render) =>
      (['local', 'refused'] as const).map((decided) => ({
        series: render.series('store_late_decisions_total', `${render.label('store', store.name)},decided="${decided}"`),
        value: store.lateDecisions[decided],
      })),
  },
];
