import { createHash } from 'node:crypto';
import type { RequestContext } from '../engine.js';
import type { RequestView } from '../request-view.js';
import type { ClientAddress } from '../client/client-address.js';
import type { LimitBy } from '../rules/types.js';

/** Reads the value a per-client limit counts a request under. */
export type ValueReader = (request: RequestView, context: RequestContext) => string;

/** Longer values are kept as their SHA-256: 100,000 of them stay small whatever clients send. */
const MAX_VALUE = 128;

function bounded(value: string | undefined): string {
  if (value === undefined) return '';
  return value.length <= MAX_VALUE ? value : `sha256:${createHash('sha256').update(value).digest('base64url')}`;
}

/**
 * The reader of one `limitBy`: the client's address, a header, query parameter or cookie, or
 * the request's primary traffic label. A request without the value counts under `''`, one
 * budget shared by all such requests (docs/per-client.md).
 *
 * @example
 * ```ts
 * const read = valueReader({ type: 'header', key: 'x-api-key' }, clientAddress);
 * read(requestView('GET', '/', { 'x-api-key': 'k1' }), context); // 'k1'
 * ```
 */
export function valueReader(limitBy: LimitBy, clientAddress: ClientAddress): ValueReader {
  const key = limitBy.key ?? '';
  switch (limitBy.type) {
    case 'clientIp':
      return (request) => clientAddress.read(request);
    case 'header':
      return (request) => bounded(request.header(key));
    case 'query':
      return (request) => bounded(request.query(key));
    case 'cookie':
      return (request) => bounded(request.cookie(key));
    case 'trafficLabel':
      return (_request, context) => context.trafficLabel ?? '';
  }
}

/**
 * `value` as a string of its own. V8 keeps a substring of 13 characters or more as a view of
 * the string it was cut from: a value read from a query string, a cookie that is no
 * percent-encoding, an `X-Forwarded-For` list or a label header would hold that whole string,
 * up to Node's 16 KB of headers per remembered client. The concatenation is flattened into a
 * new string before it is cut, so the copy refers to nothing else (0.15 µs, once per new value).
 */
function ownCopy(value: string): string {
  return value.length < 13 ? value : ` ${value}`.slice(1);
}

/** A remembered value: its state, in a ring of values ordered by when they were last seen. */
class Seen<T> {
  prev: Seen<T> = this;
  next: Seen<T> = this;
  constructor(
    readonly value: string,
    readonly state: T,
  ) {}
}

/**
 * Values in least-recently-seen order, at most `max` of them: `touch` makes a value the most
 * recent (creating its state on first sight), and past `max` the least recent is forgotten.
 * The order is a doubly linked ring through the entries: moving an entry to the front is four
 * pointer writes. (Re-inserting into the `Map` to move it to the end of its insertion order
 * costs ~3× more with 100,000 values: it writes a new table entry, and the table is rebuilt
 * whenever the holes this leaves fill it.)
 */
export class RecentValues<T> {
  private readonly values = new Map<string, Seen<T>>();
  /** The ring's anchor: `head.next` is the most recent value, `head.prev` the least recent. */
  private readonly head = new Seen<T>('', undefined as T);

  constructor(
    private readonly max: number,
    private readonly create: (value: string) => T,
    /** Told of each state forgotten to make room. */
    private readonly forgotten?: (state: T) => void,
  ) {}

  get size(): number {
    return this.values.size;
  }

  touch(value: string): T {
    const head = this.head;
    let seen = this.values.get(value);
    if (seen === undefined) {
      if (this.values.size >= this.max) this.forget(head.prev);
      const own = ownCopy(value);
      seen = new Seen(own, this.create(own));
      this.values.set(own, seen);
    } else if (head.next === seen) {
      return seen.state;
    } else {
      seen.prev.next = seen.next;
      seen.next.prev = seen.prev;
    }
    seen.next = head.next;
    seen.prev = head;
    head.next.prev = seen;
    head.next = seen;
    return seen.state;
  }

  private forget(seen: Seen<T>): void {
    seen.prev.next = seen.next;
    seen.next.prev = seen.prev;
    this.values.delete(seen.value);
    this.forgotten?.(seen.state);
  }

  /** The value's state, if it is remembered, without making it more recent. */
  peek(value: string): T | undefined {
    return this.values.get(value)?.state;
  }

  *states(): IterableIterator<T> {
    for (const seen of this.values.values()) yield seen.state;
  }

  clear(): void {
    this.values.clear();
    this.head.next = this.head;
    this.head.prev = this.head;
  }
}
