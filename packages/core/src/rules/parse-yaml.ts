import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import type { LocatedDocument } from './source.js';
import type { RuleProblem } from './types.js';

type Path = readonly (string | number)[];
type Position = { line: number; column: number };

/**
 * A document parsed from YAML text can also give the source text of a scalar, so that a
 * match value written `value: 007` is compared as `"007"` and not as `"7"`.
 * Documents from {@link documentsFromValues} do not have this; callers duck-type it.
 */
export interface SourceTextDocument extends LocatedDocument {
  scalarSource(path: Path): string | undefined;
}

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
export function parseRulesText(text: string, file: string): { documents: LocatedDocument[]; problems: RuleProblem[] } {
  const lineCounter = new LineCounter();
  // A byte-order mark would count as column 1 of line 1.
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const parsed = parseAllDocuments(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const documents: LocatedDocument[] = [];
  const problems: RuleProblem[] = [];
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  parsed.forEach((doc, i) => {
    const index = i + 1;
    if (doc.errors.length > 0) {
      const seen = new Set<number>();
      for (const error of doc.errors) {
        // One problem per position: the errors that follow from the first one add nothing.
        if (seen.has(error.pos[0])) continue;
        seen.add(error.pos[0]);
        problems.push({
          file,
          ...at(error.pos[0]),
          resource: `document ${index}`,
          field: 'yaml',
          message: `invalid YAML: ${error.message.split('\n')[0]}`,
        });
      }
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    documents.push(...expandLists(yamlDocument(doc, value, file, index, source, at)));
  });
  return { documents, problems };
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
 * Replaces a list document by its items (recursively), keeping positions inside the list.
 *
 * @example
 * ```ts
 * expandLists(listDoc).map((d) => d.locate([])); // each item's own line
 * ```
 */
export function expandLists(doc: LocatedDocument): LocatedDocument[] {
  if (!isListDocument(doc.value)) return [doc];
  const out: LocatedDocument[] = [];
  doc.value.items.forEach((item, i) => {
    if (item === null || item === undefined) return;
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
    out.push(...expandLists(child));
  });
  return out;
}

function yamlDocument(
  doc: Document.Parsed,
  value: unknown,
  file: string,
  index: number,
  text: string,
  at: (offset: number) => Position,
): SourceTextDocument {
  const start = (node: Node | null | undefined): Position | undefined =>
    node?.range ? at(node.range[0]) : undefined;
  const root = doc.contents;
  const rootPosition = start(root) ?? at(doc.range[0]);

  /** Walks `path`; returns the deepest node reached and where to point for it. */
  const walk = (path: Path): { node: Node | null; position: Position; complete: boolean } => {
    let node: Node | null = root;
    let position = rootPosition;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return { node, position, complete: false };
        const keyPosition = start(pair.key as Node) ?? position;
        const child = (pair.value ?? null) as Node | null;
        // Point at a scalar or a flow collection itself, but at the key of a block collection
        // (whose own range starts on the next line) or of an empty value.
        const flow = (isMap(child) || isSeq(child)) && child.flow === true;
        const blank = isScalar(child) && child.value === null && !child.source;
        position = child !== null && !blank && (isScalar(child) || flow) ? (start(child) ?? keyPosition) : keyPosition;
        node = child;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = (node.items[segment] ?? null) as Node | null;
        if (item === null) return { node, position, complete: false };
        position = start(item) ?? position;
        node = item;
      } else {
        return { node, position, complete: false };
      }
    }
    return { node, position, complete: true };
  };

  return {
    value,
    file,
    index,
    locate: (path) => ({ ...walk(path).position }),
    scalarSource: (path) => {
      const { node, complete } = walk(path);
      if (!complete || !isScalar(node) || !node.range) return undefined;
      if (typeof node.source === 'string') return node.source;
      return text.slice(node.range[0], node.range[1]);
    },
  };
}
