import type { HttpRequestFallbackAction, StrategyKind } from './rules/types.js';
import type { Block } from './strategies/guard.js';

/** What the adapter writes for a blocked request. Header names are lower-case. */
export interface FallbackResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Where a response the engine built keeps its {@link fieldsBesideLength} (non-enumerable). */
const FIELDS = Symbol('opensergo.fieldsBesideLength');
type WithFields = FallbackResponse & { readonly [FIELDS]?: readonly string[] };

function flatFields(headers: Readonly<Record<string, string>>): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(headers)) if (name !== 'content-length') fields.push(name, value);
  return fields;
}

/**
 * A response's headers but `content-length`, as one flat list (name, value, name, value, …):
 * what an adapter hands a framework that sets Content-Length from the body itself (Koa,
 * Fastify), one header write each, with no object to enumerate per request (callgrind:
 * enumerating and writing a header costs a blocked request ~500 instructions). Made once per
 * response the engine builds; computed on the spot for one built elsewhere.
 *
 * @example
 * ```ts
 * import { fieldsBesideLength } from '@opensergo/core';
 * fieldsBesideLength({ statusCode: 429, headers: { 'retry-after': '1', 'content-length': '3' }, body: 'no\n' }); // ['retry-after', '1']
 * ```
 */
export function fieldsBesideLength(response: FallbackResponse): readonly string[] {
  return (response as WithFields)[FIELDS] ?? flatFields(response.headers);
}

/** A frozen {@link FallbackResponse} that carries its {@link fieldsBesideLength}. */
export function fallbackResponse(statusCode: number, headers: Readonly<Record<string, string>>, body: string): FallbackResponse {
  const response = { statusCode, headers: Object.isFrozen(headers) ? headers : Object.freeze(headers), body };
  // Not enumerable, so the response still reads (and spreads) as the three fields above; the
  // list unfrozen (readonly in its type): an indexed read of a frozen array costs ~80 instructions.
  Object.defineProperty(response, FIELDS, { value: flatFields(headers) });
  return Object.freeze(response);
}

/** A prepared response: fixed parts computed once at load, Retry-After added per block. */
export interface FallbackTemplate {
  /** The fallback action's `Kind/name`, or `default`. */
  readonly source: string;
  respond(block: Block): FallbackResponse;
}

const TEXT = 'text/plain; charset=utf-8';

/** Statuses whose responses carry no body, so no Content-Length either (the loader refuses a body for them). */
const NO_BODY: ReadonlySet<number> = new Set([204, 205, 304]);

function retryAfterSeconds(block: Block): string {
  return String(Math.max(1, Math.ceil(block.retryAfterMs / 1000)));
}

function template(source: string, statusCode: number, body: string, headers: Readonly<Record<string, string>>): FallbackTemplate {
  // Spread defines own properties, `__proto__` included (an assignment would set the prototype).
  const fixed: Record<string, string> = { 'content-type': TEXT, ...headers };
  if (!NO_BODY.has(statusCode)) fixed['content-length'] = String(Buffer.byteLength(body));
  // Retry-After is added for "come back later" statuses unless the action sets it itself.
  const wantsRetryAfter = (statusCode === 429 || statusCode === 503) && !Object.hasOwn(fixed, 'retry-after');
  const frozen = Object.freeze(fixed);
  if (!wantsRetryAfter) {
    const response = fallbackResponse(statusCode, frozen, body);
    return { source, respond: () => response };
  }
  // Blocked traffic repeats the same few Retry-After values: build each response once.
  const bySeconds = new Map<string, FallbackResponse>();
  return {
    source,
    respond(block) {
      const seconds = retryAfterSeconds(block);
      let response = bySeconds.get(seconds);
      if (!response) {
        if (bySeconds.size >= 64) bySeconds.clear();
        response = fallbackResponse(statusCode, { ...frozen, 'retry-after': seconds }, body);
        bySeconds.set(seconds, response);
      }
      return response;
    },
  };
}

/** The response of an `HttpRequestFallbackAction` (docs/rules.md). */
export function fallbackFromAction(action: HttpRequestFallbackAction): FallbackTemplate {
  // Plain objects, kept in V8's fast mode for the adapters' writes; but a header named
  // `constructor` is not "already there", and one named `__proto__` is defined, not assigned.
  const headers: Record<string, string> = {};
  for (const [name, value] of action.headers) {
    const key = name.toLowerCase();
    const merged = Object.hasOwn(headers, key) ? `${headers[key]}, ${value}` : value;
    Object.defineProperty(headers, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return template(`HttpRequestFallbackAction/${action.name}`, action.statusCode, action.body, headers);
}

const DEFAULTS = {
  tooMany: template('default', 429, 'Too Many Requests\n', {}),
  unavailable: template('default', 503, 'Service Unavailable\n', {}),
};

/**
 * Without a fallbackAction: 429 + Retry-After for rate limit, throttling and concurrency;
 * 503 + Retry-After for circuit breaker and adaptive overload protection.
 */
export function defaultFallback(kind: StrategyKind): FallbackTemplate {
  switch (kind) {
    case 'RateLimitStrategy':
    case 'ThrottlingStrategy':
    case 'ConcurrencyLimitStrategy':
      return DEFAULTS.tooMany;
    case 'CircuitBreakerStrategy':
    case 'AdaptiveOverloadProtectionStrategy':
      return DEFAULTS.unavailable;
  }
}
