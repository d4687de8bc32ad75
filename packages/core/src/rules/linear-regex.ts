import { RE2JS } from 're2js';

/**
 * The longest value a regex condition is run on. Matching is linear, but a value can still be
 * long (Node accepts 16 KB of headers, more with `--max-http-header-size`): a longer value
 * never matches, at no cost. Regex conditions match identifiers, paths and header values, not
 * documents.
 */
export const MAX_REGEX_INPUT = 4096;

/**
 * A regular expression with RE2 semantics (as Envoy's `safe_regex`; docs/rules.md, "Regexes"): matched in time
 * linear in the input, whatever the pattern, so no rule can freeze the event loop (`(a+)+$`
 * against a 29-byte header held it for seconds with JavaScript's backtracking engine). Matches
 * the whole value, as `^(?:…)$` would. Built on `re2js`, a pure-JavaScript port of RE2 (no
 * native build to install). Immutable: freezing the rule set that holds it leaves its matcher
 * working.
 *
 * @example
 * ```ts
 * const re = linearRegex('user-[0-9]+');
 * typeof re === 'string' ? re : re.test('user-42'); // true
 * ```
 */
export class LinearRegex {
  readonly #matcher: RE2JS;

  /** Use {@link linearRegex}, which reports what RE2 cannot run. */
  constructor(
    /** The pattern as written. */
    readonly source: string,
    /** `i` for case-insensitive, else empty. */
    readonly flags: string,
  ) {
    this.#matcher = RE2JS.compile(RE2JS.translateRegExp(source), flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
  }

  /** Whether the whole of `value` matches (never, for a value over {@link MAX_REGEX_INPUT} characters). */
  test(value: string): boolean {
    return value.length <= MAX_REGEX_INPUT && this.#matcher.testExact(value);
  }
}

/** What needs backtracking, which RE2 refuses, by the way it is written. */
const CONSTRUCTS: readonly (readonly [RegExp, string])[] = [
  [/\(\?<?[=!]/, 'lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`)'],
  [/\\[1-9]|\\k</, 'a backreference (`\\1`, `\\k<name>`)'],
  [/\(\?>/, 'an atomic group (`(?>`)'],
  [/[*+?}][+]/, 'a possessive quantifier (`*+`, `++`, `?+`)'],
];

/**
 * Compiles `source` as a {@link LinearRegex}, or says why it cannot be: naming the construct
 * RE2 cannot run (lookaround, backreferences) or, for other syntax errors, RE2's own words.
 * JavaScript spellings RE2 lacks (`\uXXXX`, `\cX`, `(?<name>`, `[^]`) are read as JavaScript
 * reads them.
 *
 * @example
 * ```ts
 * linearRegex('(a)\\1'); // 'a backreference (`\\1`, `\\k<name>`) needs backtracking, which …'
 * ```
 */
export function linearRegex(source: string, flags = ''): LinearRegex | string {
  try {
    return new LinearRegex(source, flags);
  } catch (error) {
    const construct = CONSTRUCTS.find(([pattern]) => pattern.test(source))?.[1];
    if (construct !== undefined) {
      return `${construct} needs backtracking, which regexes in rules do not do (they have RE2 semantics and run in linear time)`;
    }
    const words = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    return `not a regular expression RE2 reads: ${words}`;
  }
}
