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
 * Values in least-recently-seen order, at most `max` of them: `touch` makes a value the most
 * recent (creating its state on first sight), and past `max` the least recent is forgotten.
 * A `Map` keeps insertion order, so re-inserting on each sighting is the whole LRU. The oldest
 * is found with one iterator kept across calls: a fresh `keys()` would step over every entry
 * deleted since the table was last compacted (up to its capacity, per eviction), while a live
 * iterator has already passed them, and sees entries moved to the end later on, in order.
 */
export class RecentValues<T> {
  private readonly values = new Map<string, T>();
  private oldest: Iterator<string> | undefined;

  constructor(
    private readonly max: number,
    private readonly create: (value: string) => T,
  ) {}

  get size(): number {
    return this.values.size;
  }

  touch(value: string): T {
    const values = this.values;
    let state = values.get(value);
    if (state !== undefined) {
      values.delete(value);
    } else {
      state = this.create(value);
      if (values.size >= this.max) this.forgetOldest();
    }
    values.set(value, state);
    return state;
  }

  private forgetOldest(): void {
    this.oldest ??= this.values.keys();
    let next = this.oldest.next();
    if (next.done === true) {
      this.oldest = this.values.keys();
      next = this.oldest.next();
    }
    if (next.done !== true) this.values.delete(next.value);
  }

  /** The value's state, if it is remembered, without making it more recent. */
  peek(value: string): T | undefined {
    return this.values.get(value);
  }

  states(): IterableIterator<T> {
    return this.values.values();
  }

  clear(): void {
    this.values.clear();
    this.oldest = undefined;
  }
}
