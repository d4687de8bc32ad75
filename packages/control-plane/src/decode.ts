import { decodeRouteConfiguration } from './decode-route.js';
import { FieldError, fail } from './field-error.js';
import { FAULT_TOLERANCE_API_VERSION, splitKind } from './kinds.js';
import { decodeMessage, faultToleranceType } from './proto.js';

/** One subscription: what the client asked for and what a push answers. */
export interface SubscriptionKey {
  readonly namespace: string;
  readonly app: string;
  /** e.g. `fault-tolerance.opensergo.io/v1alpha1/RateLimitStrategy` */
  readonly kind: string;
}

/** A `google.protobuf.Any` as protobufjs decodes it. */
export interface AnyMessage {
  readonly type_url?: string;
  readonly value?: Uint8Array;
}

/** The decoded documents of one push, or why the push cannot be used. */
export type DecodeResult = { readonly ok: true; readonly values: unknown[] } | { readonly ok: false; readonly reason: string };

type Message = Record<string, unknown>;
type SpecDecoder = (message: Message) => Record<string, unknown>;


const UNIT_MS: Readonly<Record<string, number>> = { MILLISECOND: 1, SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };
const FORMAT_UNITS: readonly (readonly [string, number])[] = [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1_000]];

/** `1000` → `"1s"`, `1500` → `"1500ms"`, `0` → `"0ms"`: the largest unit that divides exactly. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of FORMAT_UNITS) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** int32/int64 fields (int64 arrive as decimal strings). The reference control plane sends -1 when it could not parse the CRD. */
function count(message: Message, field: string): number {
  const value = Number(message[field] ?? 0);
  if (!Number.isSafeInteger(value)) fail(field, `${String(message[field])} is not a safe integer`);
  if (value < 0) fail(field, `${value} is negative (the control plane could not translate this field of the CRD)`);
  return value;
}

/**
 * A duration field. With time unit UNKNOWN (what the reference control plane sends), the value
 * is in `unknownUnitMs` (seconds for RateLimitStrategy.stat_duration, milliseconds elsewhere).
 */
function duration(message: Message, field: string, unitField: string | undefined, unknownUnitMs: number): string {
  const amount = count(message, field);
  const unit = unitField === undefined ? 'UNKNOWN' : message[unitField];
  const size = unit === 'UNKNOWN' || unit === undefined ? unknownUnitMs : UNIT_MS[String(unit)];
  if (size === undefined) fail(unitField ?? field, `unknown time unit ${String(unit)}`);
  return formatDuration(amount * size);
}

/** MODE_UNKNOWN is what the reference control plane always sends for rate limits: read as Local. */
function limitMode(message: Message): 'Local' | 'Global' {
  const mode = message['limitMode'];
  if (mode === 'MODE_GLOBAL') return 'Global';
  if (mode === 'MODE_LOCAL' || mode === 'MODE_UNKNOWN' || mode === undefined) return 'Local';
  return fail('limitMode', `unknown limit mode ${String(mode)}`);
}

function asMessage(value: unknown): Message {
  return typeof value === 'object' && value !== null ? (value as Message) : {};
}

function ref(value: unknown): { name: string; kind?: string } {
  const { name, kind } = asMessage(value);
  const out: { name: string; kind?: string } = { name: String(name ?? '') };
  if (typeof kind === 'string' && kind !== '') out.kind = kind;
  return out;
}

const SPEC_DECODERS: Readonly<Record<string, SpecDecoder>> = {
  FaultToleranceRule: (m) => {
    const spec: Record<string, unknown> = {
      targets: (m['targets'] as Message[]).map((t) => ({ targetResourceName: String(asMessage(t)['targetResourceName'] ?? '') })),
      strategies: (m['strategies'] as Message[]).map(ref),
    };
    if (m['action'] !== null && m['action'] !== undefined) {
      const action = ref(m['action']);
      if (action.name !== '') spec['fallbackAction'] = action.kind === undefined ? action.name : action;
    }
    return spec;
  },
  RateLimitStrategy: (m) => {
    const metric = m['metricType'];
    if (metric !== 'TYPE_REQUEST_AMOUNT' && metric !== 'TYPE_UNKNOWN') fail('metricType', `unknown metric type ${String(metric)}`);
    return {
      metricType: 'RequestAmount',
      limitMode: limitMode(m),
      threshold: count(m, 'threshold'),
      statDuration: duration(m, 'statDuration', 'statDurationTimeUnit', 1_000),
    };
  },
  ThrottlingStrategy: (m) => ({
    minIntervalOfRequests: duration(m, 'minIntervalMillisOfRequests', undefined, 1),
    queueTimeout: duration(m, 'queueTimeoutMillis', undefined, 1),
  }),
  ConcurrencyLimitStrategy: (m) => ({ maxConcurrency: count(m, 'maxConcurrency'), limitMode: limitMode(m) }),
  CircuitBreakerStrategy: (m) => {
    const strategy =
      m['strategy'] === 'STRATEGY_SLOW_REQUEST_RATIO' ? 'SlowRequestRatio'
      : m['strategy'] === 'STRATEGY_ERROR_REQUEST_RATIO' ? 'ErrorRequestRatio'
      : fail('strategy', `${String(m['strategy'])} (the control plane could not read the CRD's strategy)`);
    const ratio = Number(m['triggerRatio']);
    if (ratio < 0) fail('triggerRatio', `${ratio} is negative (the control plane could not translate this field of the CRD)`);
    const spec: Record<string, unknown> = {
      strategy,
      triggerRatio: ratio,
      statDuration: duration(m, 'statDuration', 'statDurationTimeUnit', 1),
      recoveryTimeout: duration(m, 'recoveryTimeout', 'recoveryTimeoutTimeUnit', 1),
      minRequestAmount: count(m, 'minRequestAmount'),
    };
    // The reference control plane fills slow_condition with -1 for ErrorRequestRatio: only read it when it means something.
    const slow = m['slowCondition'];
    if (strategy === 'SlowRequestRatio' && slow !== null && slow !== undefined) {
      spec['slowConditions'] = { maxAllowedRt: duration(asMessage(slow), 'maxAllowedRtMillis', undefined, 1) };
    }
    return spec;
  },
};

const ROUTE_CONFIGURATION = 'envoy.config.route.v3.RouteConfiguration';

function decodeOne(key: SubscriptionKey, any: AnyMessage, index: number): unknown {
  const url = any.type_url ?? '';
  const typeName = url.slice(url.lastIndexOf('/') + 1);
  const at = `data[${index}]`;
  if (typeName === ROUTE_CONFIGURATION) {
    if (splitKind(key.kind).kind !== 'TrafficRouter') throw new FieldError(`${at}: a TrafficRouter in a push for ${key.kind}`);
    return decodeRouteConfiguration(key, any.value ?? new Uint8Array(), at);
  }
  const prefix = faultToleranceType('');
  const kind = typeName.startsWith(prefix) ? typeName.slice(prefix.length) : '';
  const decoder = Object.hasOwn(SPEC_DECODERS, kind) ? SPEC_DECODERS[kind] : undefined;
  if (decoder === undefined) throw new FieldError(`${at}: unknown type URL "${url}"`);
  const expected = splitKind(key.kind).kind;
  if (kind !== expected) throw new FieldError(`${at}: a ${kind} in a push for ${key.kind}`);

  let message: Message;
  try {
    message = decodeMessage(typeName, any.value ?? new Uint8Array());
  } catch (err) {
    throw new FieldError(`${at}: bytes are not a valid ${typeName}: ${(err as Error).message}`);
  }
  // FaultToleranceRule carries no name on the wire; the others do.
  const name = kind === 'FaultToleranceRule' ? `fault-tolerance-rule-${index + 1}` : String(message['name'] ?? '');
  let spec: Record<string, unknown>;
  try {
    spec = decoder(message);
  } catch (err) {
    if (err instanceof FieldError) throw new FieldError(`${at}: ${kind} "${name}" ${err.message}`);
    throw err;
  }
  const scope = { namespace: key.namespace, labels: { app: key.app } };
  const metadata = name === '' ? scope : { name, ...scope };
  return { apiVersion: FAULT_TOLERANCE_API_VERSION, kind, metadata, spec };
}

/**
 * Decodes the `Any` list of one push into plain OpenSergo documents, shaped as the
 * equivalent YAML would be. Any item of an unknown type URL, of the wrong kind for its
 * subscription, or whose bytes do not decode makes the whole push unusable.
 */
export function decodePush(key: SubscriptionKey, data: readonly AnyMessage[]): DecodeResult {
  const values: unknown[] = [];
  try {
    data.forEach((any, index) => values.push(decodeOne(key, any, index)));
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, reason: err.message };
    return { ok: false, reason: `unexpected decoding failure: ${String(err)}` };
  }
  return { ok: true, values };
}
