import { ChunkCache, markerLines, parseChunk } from './parse-chunk.js';
import type { LocatedDocument, SourceTextDocument } from './source.js';
import type { Steps } from './steps.js';
import { lazyLocator, type Locator, type Path, type Position } from './yaml-locator.js';

export { ChunkCache } from './parse-chunk.js';

/**
 * What the two parsers read differently, or `yaml` rejects and `js-yaml` does not: a bare
 * carriage return, a line starting with `%` (a directive, or something close), a tab in
 * indentation, an indented `---` or `...` (`js-yaml` takes it for a marker), a backslash at
 * the end of a line (an escaped line break folds differently).
 */
const UNLIKE = /\r(?!\n)|^[ \t]*%|^ *\t|^[ \t]+(?:---|\.\.\.)(?=[ \t\r\n]|$)|\\\r?\n/m;

/**
 * Texts are parsed in pieces of whole documents, pausing between them: at least MIN_CHUNK
 * characters, at most MAX_CHUNK. Where a piece ends depends on the text that follows, not on
 * where the piece started, so that after an edit the pieces further on are the same as before
 * (and a {@link ChunkCache} knows them).
 */
const MIN_CHUNK = 8_192;
const MAX_CHUNK = 32_768;

/**
 * The fast parse: values by `js-yaml` (several times faster than a full `yaml` syntax tree),
 * positions only when asked. The position of each document (and of each item of a
 * `kind: List`) comes from the parse; any other position, and a scalar's source spelling, from
 * `yaml` parsing that one document when first asked, so they are exactly what the full parse
 * gives. Returns `undefined` (and the text goes to the full `yaml` parse, which reports syntax
 * problems) on any syntax error and on what the two could read differently (see `parseChunk`).
 * With a `cache`, pieces of text already parsed for the previous text are not parsed again.
 *
 * @example
 * ```ts
 * const documents = runSync(fastDocuments('kind: RateLimitStrategy\n', 'a.yaml'));
 * documents?.[0]?.locate([]); // { line: 1, column: 1 }
 * ```
 */
export function* fastDocuments(source: string, file: string, cache?: ChunkCache): Steps<LocatedDocument[] | undefined> {
  if (UNLIKE.test(source) || markerLines(source, '...').length > 0) return undefined;
  const markers = markerLines(source, '---');
  const lines = lineStarts(source);
  yield;
  const documents: LocatedDocument[] = [];
  const at = (offset: number): Position => position(lines, offset);
  let counted = 0;
  let m = 0;
  for (let start = 0; start < source.length; ) {
    while (m < markers.length && markers[m]! <= start) m++;
    while (m < markers.length && !endsBefore(source, start, markers[m]!)) m++;
    const end = m < markers.length ? markers[m]! : source.length;
    const chunk = source.slice(start, end);
    const parsed = cache?.get(chunk) ?? parseChunk(chunk);
    if (!parsed) return undefined;
    cache?.set(chunk, parsed);
    for (const doc of parsed.documents) {
      const from = start + doc.from;
      const locator = lazyLocator(source, from, start + doc.to, at(from).line);
      const items = doc.items?.map((offset) => (offset === undefined ? undefined : start + offset));
      documents.push(fastDocument(doc.value, file, counted + doc.ordinal + 1, locator, at, at(start + doc.root), items));
    }
    counted += parsed.count;
    start = end;
    yield;
  }
  cache?.done();
  return documents;
}

/** Whether a piece that starts at `start` ends before the `---` line at `marker`. */
function endsBefore(source: string, start: number, marker: number): boolean {
  const size = marker - start;
  if (size < MIN_CHUNK) return false;
  if (size >= MAX_CHUNK) return true;
  // A hash of the start of the next document (its kind and name, usually): about one in eight.
  let hash = 0x811c9dc5;
  for (let i = marker; i < marker + 160 && i < source.length; i++) hash = Math.imul(hash ^ source.charCodeAt(i), 0x01000193);
  return (hash & 7) === 0;
}

function fastDocument(
  value: unknown,
  file: string,
  index: number,
  locator: Locator,
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
