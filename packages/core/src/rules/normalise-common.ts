import { describe, parseDuration, parseRatio } from './duration.js';
import { linearRegex, type LinearRegex } from './linear-regex.js';
import { hasScalarSource } from './parse-yaml.js';
import type { Path, ProblemSink } from './problems.js';
import type { LocatedDocument } from './source.js';

/** A plain mapping read from a document. */
export type Rec = Readonly<Record<string, unknown>>;

/**
 * What a normaliser works with. The schema has already checked shapes and recorded its
 * problems; normalisers read defensively, add the checks a schema cannot express, and never
 * report a field twice (a problem already recorded at or around a path wins).
 */
export interface Ctx {
  readonly doc: LocatedDocument;
  readonly sink: ProblemSink;
}

/**
 * Records a problem unless one was already recorded for that field.
 *
 * @example
 * ```ts
 * report(c, ['spec', 'threshold'], 'expected a finite number, got Infinity');
 * ```
 */
export function report(c: Ctx, path: Path, message: string, at: Path = path): void {
  if (!c.sink.has(path)) c.sink.add(path, message, at);
}

/**
 * The value as a mapping (an empty one when it is not).
 *
 * @example
 * ```ts
 * rec(null); // {}
 * ```
 */
export function rec(value: unknown): Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : {};
}

/**
 * The value as a list (an empty one when it is not).
 *
 * @example
 * ```ts
 * arr('x'); // []
 * ```
 */
export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * The value if it is a string.
 *
 * @example
 * ```ts
 * str(3); // undefined
 * ```
 */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A string, or a number as it was written in the YAML source (`007` stays `"007"`); for
 * documents without source text, `String(number)`.
 *
 * @example
 * ```ts
 * textAt(c, ['spec', 'match', 0, 'value'], 7); // '007' when the file says 007
 * ```
 */
export function textAt(c: Ctx, path: Path, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return undefined;
  return (hasScalarSource(c.doc) ? c.doc.scalarSource(path) : undefined) ?? String(value);
}

/**
 * Milliseconds of the duration at `path`; `min` is the smallest accepted value in ms.
 *
 * @example
 * ```ts
 * durationAt(c, ['spec', 'statDuration'], '1s', 1); // 1000
 * ```
 */
export function durationAt(c: Ctx, path: Path, value: unknown, min: 0 | 1): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (typeof ms === 'string') return void report(c, path, ms);
  if (ms < min) return void report(c, path, `expected a duration greater than 0, got ${describe(value)}`);
  return ms;
}

/**
 * The ratio at `path` as a number in [0, 1].
 *
 * @example
 * ```ts
 * ratioAt(c, ['spec', 'triggerRatio'], '60%'); // 0.6
 * ```
 */
export function ratioAt(c: Ctx, path: Path, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ratio = parseRatio(value);
  if (typeof ratio === 'string') return void report(c, path, ratio);
  return ratio;
}

/**
 * Compiles a whole-value regex with RE2 semantics (linear-time matching; docs/rules.md, "Regexes").
 *
 * @example
 * ```ts
 * regexAt(c, ['spec', 'match', 0, 'value'], 'a|b')?.test('ab'); // false
 * regexAt(c, ['spec', 'match', 0, 'value'], '(a)\\1'); // undefined, problem recorded: a backreference
 * ```
 */
export function regexAt(c: Ctx, path: Path, source: string | undefined, flags = ''): LinearRegex | undefined {
  if (source === undefined) return undefined;
  const regex = linearRegex(source, flags);
  if (typeof regex !== 'string') return regex;
  return void report(c, path, `expected a regular expression with RE2 semantics, got ${JSON.stringify(source)}: ${regex}`);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What Node sends as a header value and a client reads back: tab, printable ASCII, printable Latin-1. */
const NOT_SENDABLE = /[^\t\u0020-\u007E\u00A0-\u00FF]/;

/**
 * An HTTP header name (RFC 9110 token), or `undefined` after recording why not.
 *
 * @example
 * ```ts
 * headerNameAt(c, path, 'X User'); // undefined, problem recorded
 * ```
 */
export function headerNameAt(c: Ctx, path: Path, name: string): string | undefined {
  if (TOKEN.test(name)) return name;
  return void report(c, path, `expected an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only), got ${describe(name)}`);
}

/**
 * An HTTP header value as Node will send it: tab, printable ASCII and printable Latin-1, no
 * CR, LF or other control characters, nothing above U+00FF (Node would throw writing it).
 *
 * @example
 * ```ts
 * headerValueAt(c, path, 'a\r\nb'); // undefined, problem recorded
 * headerValueAt(c, path, 'slow down — please'); // undefined: "—" is U+2014
 * ```
 */
export function headerValueAt(c: Ctx, path: Path, value: string): string | undefined {
  const bad = NOT_SENDABLE.exec(value);
  if (bad === null) return value;
  const code = bad[0].codePointAt(0)!;
  const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const what = code > 0xff ? `"${String.fromCodePoint(code)}" (${name}), which is not Latin-1` : `the control character ${name}`;
  return void report(
    c,
    path,
    `expected a header value of printable Latin-1 characters (what HTTP headers can carry), got ${describe(value)} with ${what} at character ${bad.index + 1}; use ASCII, or percent-encode it`,
  );
}

/** What every normalised resource carries, minus the kind each normaliser sets. */
export type Meta = Omit<import('./types.js').ResourceMeta, 'kind'>;
