import { EVENT_ID, constructFromEvents, getScalarValue, parseEvents, type Event } from 'js-yaml';
import { SCHEMA } from './js-yaml-schema.js';

/** Keys longer than this go to `yaml`, which refuses implicit keys of more than 1024 characters. */
const MAX_KEY_CHARS = 1000;

/** One document of a piece; offsets are from the start of the piece. */
export interface ChunkDocument {
  /** Its place among the piece's documents (empty ones count). */
  readonly ordinal: number;
  readonly value: unknown;
  /** Where its text starts (its `---` line) and ends. */
  readonly from: number;
  readonly to: number;
  /** Where its root mapping starts. */
  readonly root: number;
  /** Where each item of a `kind: List` starts (`undefined`: not a mapping). */
  readonly items: readonly (number | undefined)[] | undefined;
}

/** What a piece of text (whole documents) parsed to. */
export interface ParsedChunk {
  /** How many documents the piece holds, empty ones included. */
  readonly count: number;
  /** Its documents that hold something. */
  readonly documents: readonly ChunkDocument[];
}

/**
 * The pieces of the last text a source read, by their text: a reload of a file where one
 * threshold changed parses one piece again, not ten thousand documents. Values are shared
 * with the documents of the previous read; nothing changes them.
 */
export class ChunkCache {
  private last = new Map<string, ParsedChunk>();
  private next = new Map<string, ParsedChunk>();

  get(text: string): ParsedChunk | undefined {
    const hit = this.last.get(text) ?? this.next.get(text);
    if (hit) this.next.set(text, hit);
    return hit;
  }

  set(text: string, parsed: ParsedChunk): void {
    this.next.set(text, parsed);
  }

  /** The text is read: forget the pieces it did not have. */
  done(): void {
    this.last = this.next;
    this.next = new Map();
  }
}

/**
 * Parses a piece of text that holds whole documents (it starts at a `---` line, or at the
 * start of the text) with `js-yaml`. Returns `undefined` when `yaml` must read it instead: on a
 * syntax error, and on what the two could read differently (anchors, aliases, tags,
 * directives, `...`, long or null keys, documents that are not mappings).
 *
 * @example
 * ```ts
 * parseChunk('---\nkind: RateLimitStrategy\n')?.documents[0]?.root; // 4
 * ```
 */
export function parseChunk(chunk: string): ParsedChunk | undefined {
  let events: Event[];
  let values: unknown[];
  try {
    events = parseEvents(chunk, {});
    values = constructFromEvents(events, { source: chunk, schema: SCHEMA });
  } catch {
    return undefined;
  }
  // Each document starts at its `---` line, except one before the first such line.
  const markers = markerLines(chunk, '---');
  const prelude = markers[0] !== 0 && values.length === markers.length + 1;
  if (values.length !== markers.length && !prelude) return undefined;
  const starts = prelude ? [0, ...markers] : markers;
  const documents: ChunkDocument[] = [];
  let e = 0;
  for (let d = 0; d < values.length; d++) {
    const head = events[e]!;
    if (head.type !== EVENT_ID.DOCUMENT || head.explicitEnd || head.directives.length > 0) return undefined;
    const close = skip(events, e + 1) + 1;
    if (!plain(events, e + 1, close)) return undefined;
    const value = values[d];
    if (value !== null && value !== undefined) {
      const root = events[e + 1]!;
      // Anything but a mapping is no rule: `yaml` says why (it may see a syntax error).
      if (root.type !== EVENT_ID.MAPPING) return undefined;
      const items = isList(value) ? itemStarts(events, e + 1, chunk) : undefined;
      documents.push({ ordinal: d, value, from: starts[d]!, to: starts[d + 1] ?? chunk.length, root: root.start, items });
    }
    e = close + 1;
  }
  return { count: values.length, documents };
}

/** Offsets of the lines that start with `marker` (`---` or `...`) followed by a space, a tab or a line end. */
export function markerLines(source: string, marker: string): number[] {
  const out: number[] = [];
  for (let i = source.startsWith(marker) ? 0 : source.indexOf(`\n${marker}`); i >= 0; i = source.indexOf(`\n${marker}`, i + 1)) {
    const at = source[i] === '\n' ? i + 1 : i;
    const after = source[at + 3];
    if (after === undefined || after === ' ' || after === '\t' || after === '\n' || after === '\r') out.push(at);
  }
  return out;
}

/** The index of the event closing the node that starts at `i` (itself for a scalar or an alias). */
function skip(events: readonly Event[], i: number): number {
  const type = events[i]!.type;
  if (type !== EVENT_ID.MAPPING && type !== EVENT_ID.SEQUENCE) return i;
  let depth = 0;
  for (let j = i; ; j++) {
    const t = events[j]!.type;
    if (t === EVENT_ID.MAPPING || t === EVENT_ID.SEQUENCE) depth++;
    else if (t === EVENT_ID.POP && --depth === 0) return j;
  }
}

/**
 * No anchors, aliases or tags from `from` to `to`, and no key longer than `yaml` allows (an
 * implicit key ends within 1024 characters; `js-yaml` does not count): what both read alike.
 */
function plain(events: readonly Event[], from: number, to: number): boolean {
  // For each open collection: whether it is a mapping, and how many nodes it holds so far.
  const open: { map: boolean; nodes: number }[] = [];
  for (let i = from; i <= to; i++) {
    const event = events[i]!;
    if (event.type === EVENT_ID.POP) {
      open.pop();
      continue;
    }
    if (event.type === EVENT_ID.ALIAS || event.type === EVENT_ID.DOCUMENT) return false;
    if (event.anchorStart !== -1 || event.tagStart !== -1) return false;
    const parent = open.at(-1);
    const isKey = parent !== undefined && parent.map && parent.nodes % 2 === 0;
    if (parent) parent.nodes++;
    if (event.type === EVENT_ID.SCALAR) {
      if (isKey && event.valueEnd - event.valueStart > MAX_KEY_CHARS) return false;
    } else {
      open.push({ map: event.type === EVENT_ID.MAPPING, nodes: 0 });
    }
  }
  return true;
}

function isList(value: unknown): boolean {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && kind.endsWith('List');
}

/** Offsets of the items of the root mapping's `items` sequence (`undefined` for an item that is not a mapping). */
function itemStarts(events: readonly Event[], root: number, chunk: string): (number | undefined)[] | undefined {
  if (events[root]!.type !== EVENT_ID.MAPPING) return undefined;
  for (let k = root + 1; events[k]!.type !== EVENT_ID.POP; ) {
    const key = events[k]!;
    const v = skip(events, k) + 1;
    const value = events[v]!;
    if (key.type === EVENT_ID.SCALAR && getScalarValue(chunk, key) === 'items' && value.type === EVENT_ID.SEQUENCE) {
      const out: (number | undefined)[] = [];
      for (let i = v + 1; events[i]!.type !== EVENT_ID.POP; i = skip(events, i) + 1) {
        const item = events[i]!;
        out.push(item.type === EVENT_ID.MAPPING ? item.start : undefined);
      }
      return out;
    }
    k = skip(events, v) + 1;
  }
  return undefined;
}
