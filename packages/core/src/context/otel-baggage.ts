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
  setEntry(key: string, entry: { value: string }): Baggage;
}

/**
 * Runs `fn` with `labels` in OpenTelemetry baggage (member `OpenSergo-Label`, beside whatever
 * baggage is already there) when `@opentelemetry/api` is installed; else just runs `fn`.
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
  const baggage = (otel.propagation.getBaggage(active) ?? otel.propagation.createBaggage()).setEntry(BAGGAGE_KEY, {
    value: labels.join(','),
  });
  return otel.context.with(otel.propagation.setBaggage(active, baggage), fn);
}
