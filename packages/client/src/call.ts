import type { Blocked, Entry, RequestContext } from '@opensergo/core';
import type { Endpoint } from './endpoint.js';

/**
 * One outgoing call as the steps of the call path see it, whatever the client library
 * (undici/fetch or node:http). Transports build it; steps read it and say where it goes.
 */
export interface OutgoingCall {
  readonly method: string;
  /** `http:` or `https:`, as the caller wrote the URL. */
  readonly protocol: string;
  /** The host as the caller wrote it (`backend`, `backend:8080`): it names the callee. */
  readonly host: string;
  /** The host without its port. */
  readonly hostname: string;
  /** Path and query string. */
  readonly path: string;
  /** The governed request this call is made in, if any (`currentContext()` when it started). */
  readonly context: RequestContext | undefined;
  /** A header as it will be sent (lower-case name; repeated headers joined with `, `). */
  header(name: string): string | undefined;
  /** Sets (replaces) a header; `undefined` removes it. */
  setHeader(name: string, value: string | undefined): void;
  /** The traffic labels the call carries (set by the propagate step). */
  labels: readonly string[];
  /** The app called, once a discovery source knows the host (set by the route step). */
  callee: string | undefined;
  /** Where the call is sent; `undefined` sends it to the host as written (set by the route step). */
  endpoint: Endpoint | undefined;
  /** Endpoints that refused a connection for this call, not to be chosen again for it. */
  refused: readonly Endpoint[];
  /** A strategy refused the call (set by the govern step): it is answered locally, never sent. */
  blocked: Blocked | undefined;
  /** The admitted call's entry (set by the govern step): told how the call ended, once. */
  admission: Entry | undefined;
}

/**
 * One step of the call path: reads the call, may change where it goes and what it carries.
 * It fails the call by throwing (an `OpenSergoError`); it returns a promise only when it must
 * wait (a discovery source fetching for the first time).
 */
export type CallStep = (call: OutgoingCall) => void | Promise<void>;

/**
 * Runs `steps` in order, until one blocks the call; synchronous while they are. Returns a
 * promise only if a step did.
 *
 * @example
 * ```ts
 * const pending = runSteps(steps, call, 0);
 * if (pending) await pending;
 * ```
 */
export function runSteps(steps: readonly CallStep[], call: OutgoingCall, from: number): void | Promise<void> {
  for (let i = from; i < steps.length && call.blocked === undefined; i++) {
    const result = steps[i]!(call);
    if (result !== undefined) return result.then(() => runSteps(steps, call, i + 1));
  }
  return undefined;
}

/** The labels and refused endpoints of a call that has none (shared, frozen). */
export const NO_LABELS: readonly string[] = Object.freeze([]);
export const NO_ENDPOINTS: readonly Endpoint[] = Object.freeze([]);

/**
 * Whether `instance` refused a connection for `call` already. By URL: discovery may hand out new
 * objects for the same instance (a list that changed) while the call moves on.
 */
export const refusedFor = (call: OutgoingCall, instance: { readonly url: string }): boolean => call.refused.some((e) => e.instance.url === instance.url);

/** What the steps set on a call, whatever its transport; transports' calls extend it. */
export abstract class CallState {
  labels: readonly string[] = NO_LABELS;
  callee: string | undefined = undefined;
  endpoint: Endpoint | undefined = undefined;
  refused: readonly Endpoint[] = NO_ENDPOINTS;
  blocked: Blocked | undefined = undefined;
  admission: Entry | undefined = undefined;
}

/** Header values as a call may carry them. */
export type HeaderValue = string | readonly string[] | number | undefined;

/** `a, b` for repeated headers, the string for one. */
export function headerText(value: HeaderValue | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return value.join(', ');
}
