import { configMapRules } from './config-map.js';
import { exactDocuments, type ParsedText } from './parse-exact.js';
import { fastDocuments, type ChunkCache } from './parse-fast.js';
import type { LocatedDocument, SourceTextDocument } from './source.js';
import { runSync, type Steps } from './steps.js';
import { MAX_LIST_NESTING } from './structure.js';
import type { Path, Position } from './yaml-locator.js';

export type { ParsedText } from './parse-exact.js';
export type { SourceTextDocument } from './source.js';

/**
 * Whether `doc` can tell the source text of its scalars.
 *
 * @example
 * ```ts
 * hasScalarSource(documentsFromValues([{}], 'x')[0]!); // false
 * ```
 */
export function hasScalarSource(doc: LocatedDocument): doc is SourceTextDocument {
  return typeof (doc as Partial<SourceTextDocument>).scalarSource === 'function';
}

/** Documents given as objects have no positions: every field is reported at 1:1. */
const NO_POSITION: Position = Object.freeze({ line: 1, column: 1 });

/**
 * Parses multi-document YAML. Empty documents are skipped; a `kind: List` is read as its
 * items (each item's `locate` points into the list); YAML syntax errors become problems
 * (the document that has one is left out, the others are still returned).
 *
 * @example
 * ```ts
 * const { documents, problems } = parseRulesText('kind: RateLimitStrategy\n---\n', 'a.yaml');
 * documents.length; // 1
 * problems.length;  // 0
 * ```
 */
export function parseRulesText(text: string, file: string): ParsedText {
  return runSync(parseRulesSteps(text, file));
}

/**
 * {@link parseRulesText} in steps, pausing between documents (see `runSliced`). Values are
 * read with `js-yaml`; positions are worked out only for what is reported. A text with a
 * syntax error, or with YAML the fast parse does not take (anchors, tags, directives), is
 * parsed again with `yaml`, whose messages and positions the problems then carry. A `cache`
 * kept across reads of one file spares parsing again what did not change.
 *
 * @example
 * ```ts
 * const { documents, problems } = await runSliced(parseRulesSteps(text, 'opensergo.yaml'));
 * ```
 */
export function* parseRulesSteps(text: string, file: string, cache?: ChunkCache): Steps<ParsedText> {
  const source = yamlText(text);
  const fast = yield* fastDocuments(source, file, cache);
  const parsed = fast ? { documents: fast, problems: [] } : yield* exactDocuments(source, file);
  const documents: LocatedDocument[] = [];
  const problems = [...parsed.problems];
  for (const doc of parsed.documents.flatMap((d) => expandLists(d))) {
    documents.push(doc);
    // A ConfigMap manifest given as the rules file: the rules its data carries.
    const carried = configMapRules(doc, source, (data) => runSync(parseRulesSteps(data, file)));
    if (carried === undefined) continue;
    documents.push(...carried.documents);
    problems.push(...carried.problems);
  }
  return { documents, problems };
}

/**
 * The text as YAML 1.2 reads it, in the form both parsers read alike. A byte-order mark may open
 * the text and each document (files joined with `cat`): it is dropped, or it would count as
 * column 1 of line 1, or be read as part of the first key. A CR alone is a line break (classic
 * Mac files): it becomes LF, which keeps every offset, where `yaml` and `js-yaml` would read the
 * whole file as one line (after a leading comment, as nothing at all).
 *
 * @example
 * ```ts
 * yamlText('\uFEFFa: 1\rb: 2\r'); // 'a: 1\nb: 2\n'
 * ```
 */
export function yamlText(text: string): string {
  let source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (source.includes('\r')) source = source.replace(/\r(?!\n)/g, '\n');
  if (source.includes('\uFEFF')) source = source.replace(/(?<=\n)\uFEFF/g, '');
  return source;
}

/**
 * Wraps documents that are already plain objects (the `rules` option given parsed objects,
 * or rules decoded from the control plane). There is no source text, so every position is
 * line 1, column 1; problems still name the resource and the field. `kind: List` documents
 * are expanded; `null`/`undefined` entries are skipped.
 *
 * @example
 * ```ts
 * const docs = documentsFromValues([{ apiVersion: 'v1', kind: 'List', items: [] }], 'rules option');
 * docs.length; // 0
 * ```
 */
export function documentsFromValues(values: readonly unknown[], file: string): LocatedDocument[] {
  const documents: LocatedDocument[] = [];
  values.forEach((value, i) => {
    if (value === null || value === undefined) return;
    documents.push(...expandLists({ value, file, index: i + 1, locate: () => ({ ...NO_POSITION }) }));
  });
  return documents;
}

/**
 * Whether a value is a Kubernetes list (`kind: List`, or `<Kind>List`) holding `items`.
 *
 * @example
 * ```ts
 * isListDocument({ kind: 'List', items: [] }); // true
 * ```
 */
export function isListDocument(value: unknown): value is { items: unknown[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { kind, items } = value as { kind?: unknown; items?: unknown };
  return typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items);
}

/**
 * Replaces a list document by its items (recursively), keeping positions inside the list. A
 * list that holds lists more than {@link MAX_LIST_NESTING} deep, or holds itself (a cyclic
 * object), is left whole: compiling reports it, once.
 *
 * @example
 * ```ts
 * expandLists(listDoc).map((d) => d.locate([])); // each item's own line
 * ```
 */
export function expandLists(doc: LocatedDocument): LocatedDocument[] {
  return expand(doc, []) ?? [doc];
}

function expand(doc: LocatedDocument, outer: readonly object[]): LocatedDocument[] | undefined {
  if (!isListDocument(doc.value)) return [doc];
  if (outer.length >= MAX_LIST_NESTING || outer.includes(doc.value)) return undefined;
  const lists = [...outer, doc.value];
  const out: LocatedDocument[] = [];
  for (const [i, item] of doc.value.items.entries()) {
    if (item === null || item === undefined) continue;
    const prefix: Path = ['items', i];
    const child: LocatedDocument | SourceTextDocument = hasScalarSource(doc)
      ? {
          value: item,
          file: doc.file,
          index: doc.index,
          locate: (path) => doc.locate([...prefix, ...path]),
          scalarSource: (path) => doc.scalarSource([...prefix, ...path]),
        }
      : { value: item, file: doc.file, index: doc.index, locate: (path) => doc.locate([...prefix, ...path]) };
    const items = expand(child, lists);
    if (items === undefined) return undefined;
    out.push(...items);
  }
  return out;
}
