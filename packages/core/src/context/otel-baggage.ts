import { BAGGAGE_KEY } from '../labels/traffic-labels.js';
import { openTelemetryApi } from '../optional-peer.js';

/** The few parts of `@opentelemetry/api` used here (an optional peer dependency). */
interface OpenTelemetryApi {
  readonly context: { active(): unknown; with<T>(context: unknown, fn: () => T): T };
  readonly propagation: {
    getBaggage(context: unknown): Baggage | undefined;
    createBaggage(): Baggage;
    setBaggage(context: unknown, baggage: Baggage): unknown;
  };
}
interface Baggage {
  getEntry(key: string): unknown;
  setEntry(key: string, entry: { value: string }): Baggage;
  removeEntry(key: string): Baggage;
}

/**
 * Runs `fn` with `labels` in OpenTelemetry baggage (member `OpenSergo-Label`, beside whatever
 * baggage is already there) when `@opentelemetry/api` is installed; else just runs `fn`. With
 * no labels, an `OpenSergo-Label` member already there is removed: OpenTelemetry's http
 * instrumentation extracts the request's own `baggage` header, and a label the request does not
 * have (untrusted at the edge, or dropped as no token) must not travel on to the next hop.
 * Looked up once, at the first labelled request. Without a registered context manager
 * OpenTelemetry's `context.with` only calls `fn`, so nothing is carried, as OpenTelemetry itself
 * would do.
 *
 * @example
 * ```ts
 * withOpenTelemetryBaggage(['gray'], () => handle());
 * ```
 */
export function withOpenTelemetryBaggage<T>(labels: readonly string[], fn: () => T): T {
  const otel = openTelemetryApi<OpenTelemetryApi>();
  if (otel === null) return fn();
  const active = otel.context.active();
  const current = otel.propagation.getBaggage(active);
  if (labels.length === 0) {
    if (current?.getEntry(BAGGAGE_KEY) === undefined) return fn();
    return otel.context.with(otel.propagation.setBaggage(active, current.removeEntry(BAGGAGE_KEY)), fn);
  }
  const baggage = (current ?? otel.propagation.createBaggage()).setEntry(BAGGAGE_KEY, { value: labels.join(',') });
  return otel.context.with(otel.propagation.setBaggage(active, baggage), fn);
}
