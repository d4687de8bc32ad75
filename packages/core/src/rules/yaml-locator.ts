import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';

export type Path = readonly (string | number)[];
export type Position = { line: number; column: number };

/** Finds where a field of one parsed document was written, and how a scalar was spelt. */
export interface Locator {
  locate(path: Path): Position;
  scalarSource(path: Path): string | undefined;
}

/** The options every `yaml` parse of rules uses: syntax problems must be the same whichever parse finds them. */
export const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true } as const;

/**
 * A locator over a document parsed by `yaml` with positions (`at` turns an offset of `text`
 * into a line and column).
 *
 * @example
 * ```ts
 * const lineCounter = new LineCounter();
 * const doc = parseDocument(text, { lineCounter });
 * yamlLocator(doc, text, (o) => ({ line: lineCounter.linePos(o).line, column: lineCounter.linePos(o).col })).locate(['spec']);
 * ```
 */
export function yamlLocator(doc: Document.Parsed, text: string, at: (offset: number) => Position): Locator {
  const start = (node: Node | null | undefined): Position | undefined => (node?.range ? at(node.range[0]) : undefined);
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
    locate: (path) => ({ ...walk(path).position }),
    scalarSource: (path) => {
      const { node, complete } = walk(path);
      if (!complete || !isScalar(node) || !node.range) return undefined;
      if (typeof node.source === 'string') return node.source;
      return text.slice(node.range[0], node.range[1]);
    },
  };
}

/**
 * A locator for the one document written in `text` from offset `start` to `end` (a whole
 * document: from its `---` line, or the start of the text, to the next `---` line), which
 * parses that document with `yaml` only when first asked. `firstLine` is the line `start` is on.
 *
 * @example
 * ```ts
 * const locator = lazyLocator(text, 120, 480, 9);
 * locator.locate(['spec', 'threshold']); // parses lines 9–… now, once
 * ```
 */
export function lazyLocator(text: string, start: number, end: number, firstLine: number): Locator {
  let locator: Locator | undefined;
  const get = (): Locator => {
    if (locator) return locator;
    const slice = text.slice(start, end);
    const lineCounter = new LineCounter();
    const doc = parseDocument(slice, { ...YAML_OPTIONS, lineCounter });
    locator = yamlLocator(doc, slice, (offset) => {
      const { line, col } = lineCounter.linePos(offset);
      return { line: line + firstLine - 1, column: col };
    });
    return locator;
  };
  return { locate: (path) => get().locate(path), scalarSource: (path) => get().scalarSource(path) };
}
