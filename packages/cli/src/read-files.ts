import { readRulesFileText } from './read-text.js';
import { parseRulesText, type LocatedDocument, type RuleProblem } from '@opensergo/core';

/** Every file's documents, and every syntax problem and unreadable file, in the order given. */
export interface ReadFiles {
  readonly documents: LocatedDocument[];
  readonly problems: RuleProblem[];
  /** Files that could not be read, with why. */
  readonly unreadable: string[];
}

/** Reads and parses `files`; their documents are checked together, as one rule set. */
export function readFiles(files: readonly string[]): ReadFiles {
  const documents: LocatedDocument[] = [];
  const problems: RuleProblem[] = [];
  const unreadable: string[] = [];
  for (const file of files) {
    const text = readRulesFileText(file);
    if (typeof text !== 'string') {
      if ('problems' in text) problems.push(...text.problems);
      else unreadable.push(text.error);
      continue;
    }
    const parsed = parseRulesText(text, file);
    documents.push(...parsed.documents);
    problems.push(...parsed.problems);
  }
  return { documents, problems, unreadable };
}
