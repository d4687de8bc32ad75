import type { Dispatcher } from 'undici';
import type { RequestContext } from '@opensergo/core';
import { CallState, headerText, type HeaderValue, type OutgoingCall } from './call.js';

type Headers = Dispatcher.DispatchOptions['headers'];

/**
 * An undici dispatch as an {@link OutgoingCall}. The caller's headers (an object, a flat
 * `[name, value, …]` array, or pairs) are read in place; changes are kept aside and merged into
 * a new headers object only when the call is sent, so a call that changes nothing copies nothing.
 */
export class UndiciCall extends CallState implements OutgoingCall {
  readonly method: string;
  readonly protocol: string;
  readonly host: string;
  readonly hostname: string;
  readonly path: string;
  private changes: Map<string, string | undefined> | undefined;

  constructor(
    readonly options: Dispatcher.DispatchOptions,
    readonly context: RequestContext | undefined,
  ) {
    super();
    const origin = options.origin;
    const text = typeof origin === 'string' ? origin : (origin?.toString() ?? '');
    const slashes = text.indexOf('//');
    this.protocol = text.slice(0, slashes);
    const end = text.endsWith('/') ? text.length - 1 : text.length;
    const host = text.slice(slashes + 2, end);
    this.host = host;
    if (host.charCodeAt(0) === 0x5b /* [ */) this.hostname = host.slice(1, host.indexOf(']'));
    else {
      const colon = host.lastIndexOf(':');
      this.hostname = colon === -1 ? host : host.slice(0, colon);
    }
    this.method = options.method;
    this.path = options.path;
  }

  header(name: string): string | undefined {
    if (this.changes?.has(name)) return this.changes.get(name);
    return readHeader(this.options.headers, name);
  }

  setHeader(name: string, value: string | undefined): void {
    (this.changes ??= new Map()).set(name, value);
  }

  /** The options to send with: the chosen origin, the caller's Host, and the changed headers. */
  toSend(): Dispatcher.DispatchOptions {
    const endpoint = this.endpoint;
    if (endpoint === undefined && this.changes === undefined) return this.options;
    const changes = this.changes ?? new Map<string, string | undefined>();
    // The instance hears the host the caller wrote (as behind a service mesh), not its own address.
    if (endpoint !== undefined && !changes.has('host') && readHeader(this.options.headers, 'host') === undefined) changes.set('host', this.host);
    const options: Dispatcher.DispatchOptions = { ...this.options, headers: mergeHeaders(this.options.headers, changes) };
    if (endpoint !== undefined) options.origin = endpoint.origin;
    return options;
  }
}

/** Calls `visit` for every header, whichever of undici's three shapes `headers` has. */
function eachHeader(headers: Headers, visit: (key: unknown, value: HeaderValue | null) => void): void {
  if (headers === undefined || headers === null) return;
  if (Array.isArray(headers)) {
    if (headers.length && Array.isArray(headers[0])) for (const [key, value] of headers as unknown as [string, HeaderValue][]) visit(key, value);
    else for (let i = 0; i < headers.length; i += 2) visit(headers[i], headers[i + 1] as HeaderValue);
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [key, value] of headers as Iterable<[string, HeaderValue]>) visit(key, value);
  } else {
    for (const key in headers) visit(key, (headers as Record<string, HeaderValue>)[key]);
  }
}

const isPlainObject = (headers: Headers): headers is Headers & Record<string, HeaderValue | null> =>
  typeof headers === 'object' && headers !== null && !Array.isArray(headers) && typeof (headers as Iterable<unknown>)[Symbol.iterator] !== 'function';

function readHeader(headers: Headers, name: string): string | undefined {
  if (isPlainObject(headers)) {
    // The common shape: names as the caller wrote them, usually lower-case already.
    const exact = headers[name];
    if (exact !== undefined && exact !== null) return headerText(exact);
    let found: string | undefined;
    for (const key in headers) {
      if (key.length !== name.length || key === name || key.toLowerCase() !== name) continue;
      const text = headerText(headers[key] ?? undefined);
      if (text !== undefined) found = found === undefined ? text : `${found}, ${text}`;
    }
    return found;
  }
  let found: string[] | undefined;
  eachHeader(headers, (key, value) => {
    if (typeof key === 'string' && key.length === name.length && key.toLowerCase() === name) {
      const text = headerText(value);
      if (text !== undefined) (found ??= []).push(text);
    }
  });
  return found === undefined ? undefined : found.join(', ');
}

/** The caller's headers as an object, names in `changes` replaced (or removed when `undefined`). */
function mergeHeaders(headers: Headers, changes: ReadonlyMap<string, string | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (isPlainObject(headers)) {
    // The common shape (fetch, undici's request): no closure, no array.
    for (const key in headers) {
      const value = headers[key];
      if (value !== undefined && value !== null && !changes.has(key.toLowerCase())) out[key] = typeof value === 'number' ? String(value) : (value as string | string[]);
    }
    for (const [name, value] of changes) if (value !== undefined) out[name] = value;
    return out;
  }
  eachHeader(headers, (key, value) => {
    if (typeof key !== 'string' || value === undefined || value === null || changes.has(key.toLowerCase())) return;
    const text = typeof value === 'number' ? String(value) : (value as string | string[]);
    const previous = out[key];
    out[key] = previous === undefined ? text : ([] as string[]).concat(previous, text);
  });
  for (const [name, value] of changes) if (value !== undefined) out[name] = value;
  return out;
}
