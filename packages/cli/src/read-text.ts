import { isOpenSergoError, readRulesFile, type RuleProblem } from '@opensergo/core';

/**
 * A file's text, read as the engine reads `rulesFile` (UTF-8, or UTF-16 with a byte-order
 * mark); the problem that keeps it from being read as text (invalid UTF-8, NUL bytes); or why it
 * could not be read at all.
 */
export function readRulesFileText(file: string): string | { readonly problems: readonly RuleProblem[] } | { readonly error: string } {
  try {
    return readRulesFile(file);
  } catch (error) {
    if (isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID')) return { problems: error.problems };
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    if ((cause as NodeJS.ErrnoException).code === 'EISDIR') {
      return { error: `cannot read ${file}: it is a directory; give the files in it (${file.replace(/\/+$/, '')}/*.yaml)` };
    }
    return { error: `cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
}
