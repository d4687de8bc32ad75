import { createRequire } from 'node:module';

/** `null` once looked up and not installed. */
let openTelemetry: unknown;

/**
 * `@opentelemetry/api` when the application has it installed (an optional peer), else `null`;
 * looked up once. Each caller types it with the part of the API it uses.
 */
export function openTelemetryApi<Api>(): Api | null {
  if (openTelemetry === undefined) {
    try {
      openTelemetry = createRequire(import.meta.url)('@opentelemetry/api');
    } catch {
      openTelemetry = null;
    }
  }
  return openTelemetry as Api | null;
}
