import type { BlockedError } from './guard/blocked-error.js';
import type { RuleProblem } from './rules/types.js';

/**
 * Stable error codes. Each has a row in docs/errors.md saying how to fix it.
 * A retired code is never reused.
 */
export type OpenSergoErrorCode =
  | 'ERR_OPENSERGO_RULES_INVALID'
  | 'ERR_OPENSERGO_RULES_FILE_UNREADABLE'
  | 'ERR_OPENSERGO_OPTIONS_INVALID'
  | 'ERR_OPENSERGO_STORE_UNAVAILABLE'
  | 'ERR_OPENSERGO_CONTROL_PLANE'
  | 'ERR_OPENSERGO_LABEL_INVALID'
  | 'ERR_OPENSERGO_NO_INSTANCE'
  | 'ERR_OPENSERGO_BLOCKED';

/**
 * The one error class of the project. Blocked requests are never errors: they are
 * `Decision` values.
 *
 * @example
 * ```ts
 * import { createEngine, isOpenSergoError } from '@opensergo/core';
 * try {
 *   createEngine({ rules: 'kind: RateLimitStrategy' });
 * } catch (err) {
 *   if (isOpenSergoError(err, 'ERR_OPENSERGO_RULES_INVALID')) console.error(err.problems);
 * }
 * ```
 */
export class OpenSergoError extends Error {
  override readonly name = 'OpenSergoError';
  readonly code: OpenSergoErrorCode;
  /** For ERR_OPENSERGO_RULES_INVALID: every problem found, in file order. */
  readonly problems: readonly RuleProblem[];

  constructor(
    code: OpenSergoErrorCode,
    message: string,
    options: { cause?: unknown; problems?: readonly RuleProblem[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [];
  }

  /** Alias of `problems`, for users who expect `errors` (as ajv and AggregateError name it). */
  get errors(): readonly RuleProblem[] {
    return this.problems;
  }
}

/**
 * Whether `value` is an OpenSergoError (optionally with the given code).
 * Works across copies of the package, so it checks the shape rather than `instanceof`. An
 * error that only copies the name and code of an `ERR_OPENSERGO_BLOCKED` (axios's
 * `AxiosError` does) is not one: look at its `cause`.
 */
export function isOpenSergoError(value: unknown, code: 'ERR_OPENSERGO_BLOCKED'): value is BlockedError;
export function isOpenSergoError(value: unknown, code?: OpenSergoErrorCode): value is OpenSergoError;
export function isOpenSergoError(value: unknown, code?: OpenSergoErrorCode): value is OpenSergoError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown; kind?: unknown };
  if (candidate.name !== 'OpenSergoError' || typeof candidate.code !== 'string') return false;
  // A client library's own error may copy our name and code but not the fields (axios's
  // AxiosError does): a refusal is one only with what a BlockedError carries.
  if (candidate.code === 'ERR_OPENSERGO_BLOCKED' && typeof candidate.kind !== 'string') return false;
  return code === undefined || candidate.code === code;
}

/** Formats problems one per line: `file:line:col Kind/name field: expected …`. */
export function formatProblems(problems: readonly RuleProblem[]): string {
  return problems
    .map((p) => `${p.file}:${p.line}:${p.column} ${p.resource} ${p.field}: ${p.message}`)
    .join('\n');
}

/** Builds the ERR_OPENSERGO_RULES_INVALID error for a list of problems. */
export function rulesInvalid(problems: readonly RuleProblem[]): OpenSergoError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new OpenSergoError(
    'ERR_OPENSERGO_RULES_INVALID',
    `Invalid OpenSergo rules (${count}):\n${formatProblems(problems)}`,
    { problems },
  );
}
