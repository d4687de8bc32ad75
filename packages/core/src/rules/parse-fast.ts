import { CORE_SCHEMA, EVENT_ID, constructFromEvents, defineMappingTag, getScalarValue, parseEvents, type Event } from 'js-yaml';
import type { LocatedDocument, SourceTextDocument } from './source.js';
import type { Steps } from './steps.js';
import { lazyLocator, type Path, type Position } from './yaml-locator.js';

/**
 * Mappings as `yaml` builds them (`toJS`): keys as strings. A key that is null or a collection
 * is refused, so such a text goes to `yaml` (which spells them its own way, and rejects some
 * empty keys that `js-yaml` takes).
 */
const mapTag = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
  create: () => ({}),
  identify: () => false,
  addPair(map, key, value) {
    if (typeof key === 'object') return 'a null or collection key';
    const name = String(key);
    if (name === '__proto__') Object.defineProperty(map, name, { value, enumerable: true, configurable: true, writable: true });
    else map[name] = value;
    return '';
  },
  has: (map, key) => typeof key !== 'object' && Object.prototype.hasOwnProperty.call(map, String(key)),
  keys: (map) => Object.keys(map),
  get: (map, key) => map[String(key)],
});

/** YAML 1.2 core, exactly as `yaml` reads it: no timestamps, no merge keys, no binary. */
const SCHEMA = CORE_SCHEMA.withTags(mapTag);

/**
 * What the two parsers read differently, or `yaml` rejects and `js-yaml` does not: a bare
 * carriage return, a line starting with `%` (a directive, or something close), a tab in
 * indentation.
 */
const UNLIKE = /\r(?!\n)|^[ \t]*%|^ *\t/m;

/** Keys longer than this go to `yaml`, which refuses implicit keys of more than 1024 characters. */
const MAX_KEY_CHARS = 1000;

/** Texts are parsed in pieces of about this many characters (whole documents), pausing between them. */
const CHUNK_CHARS = 16_384;

/**
 * The fast parse: values by `js-yaml` (several times faster than a full `yaml` syntax tree),
 * positions only when asked. The position of each document (and of each item of a
 * `kind: List`) comes from the parse; any other position, and a scalar's source spelling, from
 * `yaml` parsing that one document when first asked, so they are exactly what the full parse
 * gives. Returns `undefined` (and the text goes to the full `yaml` parse, which reports syntax
 * problems) on any syntax error and on what the two could read differently: anchors,
 * aliases, tags, directives, `...` markers, tabs in indentation, null or collection keys,
 * documents that are not mappings.
 *
 * @example
 * ```ts
 * const documents = runSync(fastDocuments('kind: RateLimitStrategy\n', 'a.yaml'));
 * documents?.[0]?.locate([]); // { line: 1, column: 1 }
 * ```
 */
export function* fastDocuments(source: string, file: string): Steps<LocatedDocument[] | undefined> {
  if (UNLIKE.test(source) || markerLines(source, '...').length > 0) return undefined;
  const markers = markerLines(source, '---');
  const lines = lineStarts(source);
  const documents: LocatedDocument[] = [];
  const at = (offset: number): Position => position(lines, offset);
  let index = 0;
  let m = 0;
  for (let start = 0; start < source.length; ) {
    // A chunk is whole documents: it ends at the first `---` line CHUNK_CHARS on.
    let next = m;
    while (next < markers.length && (markers[next]! <= start || markers[next]! < start + CHUNK_CHARS)) next++;
    const end = next < markers.length ? markers[next]! : source.length;
    const chunkMarkers = markers.slice(m, next);
    m = next;
    const chunk = source.slice(start, end);
    let events: Event[];
    let values: unknown[];
    try {
      events = parseEvents(chunk, {});
      values = constructFromEvents(events, { source: chunk, schema: SCHEMA });
    } catch {
      return undefined;
    }
    // Each document starts at its `---` line, except one before the first such line.
    const prelude = chunkMarkers[0] !== start && values.length === chunkMarkers.length + 1;
    if (values.length !== chunkMarkers.length && !prelude) return undefined;
    const docStarts = prelude ? [start, ...chunkMarkers] : chunkMarkers;
    let e = 0;
    for (let d = 0; d < values.length; d++) {
      const head = events[e]!;
      if (head.type !== EVENT_ID.DOCUMENT || head.explicitEnd || head.directives.length > 0) return undefined;
      const close = skip(events, e + 1) + 1;
      if (!plain(events, e + 1, close)) return undefined;
      index++;
      const value = values[d];
      if (value !== null && value !== undefined) {
        const root = events[e + 1]!;
        // Anything but a mapping is no rule: `yaml` says why (it may see a syntax error).
        if (root.type !== EVENT_ID.MAPPING) return undefined;
        const from = docStarts[d]!;
        const rootAt = at(start + root.start);
        const items = isList(value) ? itemStarts(events, e + 1, chunk, start) : undefined;
        const locator = lazyLocator(source, from, docStarts[d + 1] ?? end, at(from).line);
        documents.push(fastDocument(value, file, index, locator, at, rootAt, items));
      }
      e = close + 1;
    }
    start = end;
    yield;
  }
  return documents;
}

function fastDocument(
  value: unknown,
  file: string,
  index: number,
  locator: ReturnType<typeof lazyLocator>,
  at: (offset: number) => Position,
  rootAt: Position,
  items: readonly (number | undefined)[] | undefined,
): SourceTextDocument {
  return {
    value,
    file,
    index,
    locate(path: Path): Position {
      if (path.length === 0) return { ...rootAt };
      if (items && path.length === 2 && path[0] === 'items' && typeof path[1] === 'number') {
        const offset = items[path[1]];
        if (offset !== undefined) return at(offset);
      }
      return locator.locate(path);
    },
    scalarSource: locator.scalarSource,
  };
}

/** Offsets of the lines that start with `marker` (`---` or `...`) followed by a space, a tab or a line end. */
function markerLines(source: string, marker: string): number[] {
  const out: number[] = [];
  for (let i = source.startsWith(marker) ? 0 : source.indexOf(`\n${marker}`); i >= 0; i = source.indexOf(`\n${marker}`, i + 1)) {
    const at = source[i] === '\n' ? i + 1 : i;
    const after = source[at + 3];
    if (after === undefined || after === ' ' || after === '\t' || after === '\n' || after === '\r') out.push(at);
  }
  return out;
}

function lineStarts(source: string): number[] {
  const out = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

function position(lines: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lines[lo]! + 1 };
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
function itemStarts(events: readonly Event[], root: number, chunk: string, base: number): (number | undefined)[] | undefined {
  if (events[root]!.type !== EVENT_ID.MAPPING) return undefined;
  for (let k = root + 1; events[k]!.type !== EVENT_ID.POP; ) {
    const key = events[k]!;
    const v = skip(events, k) + 1;
    const value = events[v]!;
    if (key.type === EVENT_ID.SCALAR && getScalarValue(chunk, key) === 'items' && value.type === EVENT_ID.SEQUENCE) {
      const out: (number | undefined)[] = [];
      for (let i = v + 1; events[i]!.type !== EVENT_ID.POP; i = skip(events, i) + 1) {
        const item = events[i]!;
        out.push(item.type === EVENT_ID.MAPPING ? base + item.start : undefined);
      }
      return out;
    }
    k = skip(events, v) + 1;
  }
  return undefined;
}
