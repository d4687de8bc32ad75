import type { MetricsSnapshot, RuleMetrics } from '@opensergo/core';

/** One sample: optional suffix (`_bucket`, `_sum`, `_count`), labels, value. */
export interface Sample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** A metric family: what prom-client's registry reads from a metric's `get()`. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  samples(snapshot: MetricsSnapshot, prefix: string): Sample[];
}

const ruleLabels = (r: RuleMetrics) => ({ resource: r.resource, rule: r.rule, strategy: r.strategy, kind: r.kind });

/** One sample per row that has `value`. */
function perRule(value: (r: RuleMetrics) => number | undefined): Family['samples'] {
  return (snapshot) => {
    const out: Sample[] = [];
    for (const r of snapshot.resources) {
      const v = value(r);
      if (v !== undefined) out.push({ labels: ruleLabels(r), value: v });
    }
    return out;
  };
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
    samples: (snapshot) =>
      snapshot.resources.flatMap((r) => {
        const labels = ruleLabels(r);
        return [
          { labels: { ...labels, result: 'passed' }, value: r.passed },
          { labels: { ...labels, result: 'blocked' }, value: r.blocked },
          { labels: { ...labels, result: 'would_block' }, value: r.wouldBlock },
        ];
      }),
  },
  {
    name: 'request_failures_total',
    help: 'Admitted requests that failed (an error, or a 5xx status), on routes whose outcomes are followed.',
    type: 'counter',
    samples: perRule((r) => r.failed),
  },
  {
    name: 'requests_in_flight',
    help: 'Admitted requests not finished yet, on routes whose outcomes are followed.',
    type: 'gauge',
    samples: perRule((r) => r.inFlight),
  },
  {
    name: 'request_duration_seconds',
    help: 'Response time of admitted requests, from arrival at the middleware to the end of the response, on routes whose outcomes are followed.',
    type: 'histogram',
    samples: (snapshot, prefix) => {
      const name = `${prefix}request_duration_seconds`;
      const bounds = snapshot.durationBucketsMs.map((ms) => ms / 1000);
      const out: Sample[] = [];
      for (const r of snapshot.resources) {
        const { cumulative, sumMs, count } = r.duration;
        if (count === 0) continue;
        const labels = ruleLabels(r);
        bounds.forEach((le, i) => out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative[i]! }));
        out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
        out.push({ metricName: `${name}_sum`, labels, value: sumMs / 1000 });
        out.push({ metricName: `${name}_count`, labels, value: count });
      }
      return out;
    },
  },
  {
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state: 1 for the state it is in (closed, open, half-open), 0 for the others.',
    type: 'gauge',
    samples: (snapshot) =>
      snapshot.resources.flatMap((r) =>
        r.breaker === undefined ? [] : BREAKER_STATES.map((state) => ({ labels: { ...ruleLabels(r), state }, value: r.breaker === state ? 1 : 0 })),
      ),
  },
  {
    name: 'throttling_queue_length',
    help: 'Requests waiting in a throttling queue.',
    type: 'gauge',
    samples: perRule((r) => r.queued),
  },
  {
    name: 'concurrency_permits_in_use',
    help: 'Concurrency permits held by requests in progress (local concurrency limits).',
    type: 'gauge',
    samples: perRule((r) => r.permits),
  },
  {
    name: 'overload_shedding',
    help: 'Adaptive overload protection is shedding load (1) or not (0).',
    type: 'gauge',
    samples: perRule((r) => asNumber(r.shedding)),
  },
  {
    name: 'rules',
    help: 'Rules in force, by type; pending rules wait for a strategy or fallback no source defines yet.',
    type: 'gauge',
    samples: ({ rules }) => [
      { labels: { type: 'fault_tolerance' }, value: rules.faultToleranceRules },
      { labels: { type: 'traffic_label' }, value: rules.trafficLabelRules },
      { labels: { type: 'pending' }, value: rules.pending.length },
    ],
  },
  {
    name: 'rules_info',
    help: 'The rules in force: which source applied them, and its version. Always 1.',
    type: 'gauge',
    samples: ({ rules }) => [{ labels: { source: rules.source, version: rules.version ?? '' }, value: 1 }],
  },
  {
    name: 'rules_applied_timestamp_seconds',
    help: 'When the rules in force were applied (Unix time).',
    type: 'gauge',
    samples: ({ rules }) => [{ labels: {}, value: Date.parse(rules.appliedAt) / 1000 }],
  },
  {
    name: 'source_connected',
    help: 'Whether each rule source is connected (1) or not (0); a disconnected source keeps its last good rules.',
    type: 'gauge',
    samples: ({ sources }) => sources.map((s) => ({ labels: { source: s.name, version: s.version ?? '' }, value: s.connected ? 1 : 0 })),
  },
  {
    name: 'source_error',
    help: 'Whether the last update from each rule source failed (1) or not (0).',
    type: 'gauge',
    samples: ({ sources }) => sources.map((s) => ({ labels: { source: s.name }, value: s.lastError === undefined ? 0 : 1 })),
  },
  {
    name: 'store_available',
    help: 'Whether the store answers (1) or not (0, Global limits fall back to local enforcement).',
    type: 'gauge',
    samples: ({ store }) => [{ labels: { store: store.name, shared: String(store.shared) }, value: store.available ? 1 : 0 }],
  },
];
