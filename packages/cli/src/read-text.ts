import { readFileSync } from 'node:fs';

/** A file's text, or why it could not be read. */
export function readRulesFileText(file: string): string | { readonly error: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    return { error: `cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
}
