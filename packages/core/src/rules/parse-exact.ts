import { Composer, LineCounter, Parser, isScalar, visit, type Document, type YAMLError } from 'yaml';
import type { LocatedDocument, SourceTextDocument } from './source.js';
import type { Steps } from './steps.js';
import type { RuleProblem } from './types.js';
import { YAML_OPTIONS, yamlLocator, type Position } from './yaml-locator.js';

/** Documents parsed from a text (`kind: List` not yet expanded) and its YAML syntax problems. */
export interface ParsedText {
  documents: LocatedDocument[];
  problems: RuleProblem[];
}

/**
 * Parses every document of `source` with `yaml` (full syntax tree, positions of every node),
 * pausing after each document. This is the parse that reports YAML syntax problems: a
 * document with one is left out and each distinct error position becomes a problem.
 *
 * @example
 * ```ts
 * const { documents, problems } = runSync(exactDocuments('key: [unclosed\n', 'a.yaml'));
 * problems[0]?.message; // 'invalid YAML: …'
 * ```
 */
export function* exactDocuments(source: string, file: string): Steps<ParsedText> {
  const lineCounter = new LineCounter();
  // What yaml's parseAllDocuments does, one document at a time.
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({ ...YAML_OPTIONS, lineCounter });
  const documents: LocatedDocument[] = [];
  const problems: RuleProblem[] = [];
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  let index = 0;
  for (const doc of composer.compose(parser.parse(source))) {
    index++;
    const first = doc.errors[0];
    let value: unknown;
    let failure: { offset: number; message: string } | undefined;
    if (first !== undefined) {
      // Only the first: what follows a syntax error is mostly the parser losing its way.
      failure = { offset: first.pos[0], message: syntaxMessage(first, source) };
    } else {
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (error) {
        failure = unresolvedAlias(doc) ?? { offset: doc.range[0], message: valueMessage(error) };
      }
    }
    if (failure !== undefined) {
      const placeholder = unreadable(doc, file, index, at);
      problems.push({ file, ...at(failure.offset), resource: nameOf(placeholder.value) ?? `document ${index}`, field: 'yaml', message: failure.message });
      documents.push(placeholder);
    } else if (value !== null && value !== undefined) {
      const { locate, scalarSource } = yamlLocator(doc, source, at);
      const located: SourceTextDocument = { value, file, index, locate, scalarSource };
      documents.push(located);
    }
    yield;
  }
  return { documents, problems };
}

/** How many nodes aliases may expand to in one document (`yaml` counts the nodes each alias copies). */
const MAX_ALIAS_COUNT = 100;

/** `yaml`'s first error of a document, in words that say how to fix it. */
function syntaxMessage(error: YAMLError, source: string): string {
  const words = error.message.split('\n')[0]!;
  if (/call stack/i.test(words)) return `invalid YAML: nested too deeply to read (more than the parser's stack holds); OpenSergo rules need a handful of levels`;
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return 'invalid YAML: a tab in the indentation; YAML indents with spaces only';
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(source.slice(error.pos[0]))![0].trim();
      return `invalid YAML: the key ${JSON.stringify(key)} appears twice in one mapping; keep one`;
    }
    default:
      return `invalid YAML: ${words}`;
  }
}

/**
 * The first alias of `doc` that names no anchor before it in the same document (anchors do not
 * carry across `---`, which is how people usually meet this), with its position.
 */
function unresolvedAlias(doc: Document.Parsed): { offset: number; message: string } | undefined {
  let found: { offset: number; message: string } | undefined;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined) return undefined;
      found = {
        offset: alias.range?.[0] ?? doc.range[0],
        message: `invalid YAML: the alias *${alias.source} names no anchor before it in this document (anchors do not carry across ---); define &${alias.source} earlier in this document, or write the value out`,
      };
      return visit.BREAK;
    },
  });
  return found;
}

/** Why a document that parsed could not become a value. */
function valueMessage(error: unknown): string {
  const words = error instanceof Error ? error.message : String(error);
  if (/alias/i.test(words)) {
    return `invalid YAML: its aliases expand to more than ${MAX_ALIAS_COUNT} nodes (a "billion laughs" alias bomb?); write the values out`;
  }
  if (error instanceof RangeError) return 'invalid YAML: nested too deeply to read; OpenSergo rules need a handful of levels';
  return `invalid YAML: ${words}`;
}

/** `Kind/name` of a document head, when both are strings. */
function nameOf(head: unknown): string | undefined {
  const { kind, metadata } = head as { kind?: unknown; metadata?: { name?: unknown } };
  return typeof kind === 'string' && typeof metadata?.name === 'string' ? `${kind}/${metadata.name}` : undefined;
}

/**
 * A document with a syntax error, kept as an unreadable one: what `yaml` made of it anyway
 * (its head usually survives), so that compiling knows the name it meant to define.
 */
function unreadable(doc: Document.Parsed, file: string, index: number, at: (offset: number) => Position): LocatedDocument {
  let value: unknown;
  try {
    const head = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    const metadata = typeof head?.metadata === 'object' && head.metadata !== null ? head.metadata : {};
    value = { apiVersion: head?.apiVersion, kind: head?.kind, metadata: { name: metadata.name, namespace: metadata.namespace } };
  } catch {
    // A value that cannot be made whole (an alias to nothing): the head's scalars, read one by one.
    const scalar = (path: string[]): unknown => {
      const node: unknown = doc.getIn(path, true);
      return isScalar(node) ? node.value : undefined;
    };
    value = { apiVersion: scalar(['apiVersion']), kind: scalar(['kind']), metadata: { name: scalar(['metadata', 'name']), namespace: scalar(['metadata', 'namespace']) } };
  }
  const start = at(doc.range[0]);
  const placeholder: SourceTextDocument = { value, file, index, locate: () => ({ ...start }), scalarSource: () => undefined, unreadable: true };
  return placeholder;
}
