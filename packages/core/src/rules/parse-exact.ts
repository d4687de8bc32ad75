import { Composer, LineCounter, Parser } from 'yaml';
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
    } else {
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      if (value !== null && value !== undefined) {
        const { locate, scalarSource } = yamlLocator(doc, source, at);
        const located: SourceTextDocument = { value, file, index, locate, scalarSource };
        documents.push(located);
      }
    }
    yield;
  }
  return { documents, problems };
}
