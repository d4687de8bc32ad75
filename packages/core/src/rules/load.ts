import { readFileSync } from 'node:fs';
import { OpenSergoError, rulesInvalid } from '../errors.js';
import { tryCompileRules } from './compile.js';
import { decodeRulesText } from './encoding.js';
import { parseRulesText } from './parse-yaml.js';
import type { RuleSet, Scope } from './types.js';

export { compileRules, tryCompileRules, type CompileResult } from './compile.js';
export { documentsFromValues, parseRulesText } from './parse-yaml.js';

/**
 * Parses and compiles a rules text; YAML syntax problems and rule problems are reported
 * together in one ERR_OPENSERGO_RULES_INVALID error.
 *
 * @example
 * ```ts
 * const rules = loadRulesText(readFileSync('opensergo.yaml', 'utf8'), 'opensergo.yaml', { app: 'my-app', namespace: undefined });
 * rules.strategies.length;
 * ```
 */
export function loadRulesText(text: string, file: string, scope: Scope): RuleSet {
  const { documents, problems } = parseRulesText(text, file);
  const result = tryCompileRules(documents, scope, problems);
  if (!result.ok) throw rulesInvalid(result.problems);
  return result.ruleSet;
}

/**
 * Reads a rules file synchronously (start-up can then fail synchronously) and compiles it.
 * An unreadable file throws ERR_OPENSERGO_RULES_FILE_UNREADABLE naming the path, with the
 * system error as `cause`; invalid rules throw ERR_OPENSERGO_RULES_INVALID.
 *
 * @example
 * ```ts
 * const rules = loadRulesFile('./opensergo.yaml', { app: process.env.OPENSERGO_APP, namespace: undefined });
 * ```
 */
export function loadRulesFile(path: string, scope: Scope): RuleSet {
  return loadRulesText(readRulesFile(path), path, scope);
}

/**
 * Reads a rules file synchronously; an unreadable file throws
 * ERR_OPENSERGO_RULES_FILE_UNREADABLE naming the path, with the system error as `cause`, and
 * a file that is not text (invalid UTF-8, UTF-16 without a byte-order mark) throws
 * ERR_OPENSERGO_RULES_INVALID saying so, with the position of the first bad byte. This is how
 * the engine reads `rulesFile`; tools that check files (`opensergo validate`) read them with it
 * too, so that they accept and refuse exactly what a service would.
 *
 * @example
 * ```ts
 * const { documents, problems } = parseRulesText(readRulesFile('./opensergo.yaml'), './opensergo.yaml');
 * ```
 */
export function readRulesFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new OpenSergoError('ERR_OPENSERGO_RULES_FILE_UNREADABLE', `Cannot read OpenSergo rules file "${path}": ${reason}`, { cause });
  }
  const decoded = decodeRulesText(bytes, path);
  if (!decoded.ok) throw rulesInvalid([decoded.problem]);
  return decoded.text;
}
