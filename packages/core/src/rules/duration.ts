/**
 * Durations and ratios as OpenSergo writes them (docs/rules.md).
 * Both parsers return a number, or a string saying what was expected.
 */

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const satisfies Record<string, number>;

/** The accepted units, in the order the docs list them. */
export const DURATION_UNITS: readonly string[] = Object.keys(UNIT_MS);

/** `<int><unit>`; shared with the JSON schemas so format errors come from one place. */
export const DURATION_PATTERN = '^[0-9]+(ms|s|m|min|minute|h|d)$';

/** Plain words for error messages. */
export const DURATION_EXPECTED = `a duration such as "500ms" or "1s" (<integer><unit>, unit one of ${DURATION_UNITS.join(', ')})`;

const DURATION = new RegExp(DURATION_PATTERN.replace('[0-9]+', '([0-9]+)'));

/**
 * Parses `"500ms"`, `"1s"`, `"5min"` … into milliseconds. A bare number is refused: a
 * duration without a unit is ambiguous (Sentinel reads ms, Kubernetes reads s).
 *
 * @example
 * ```ts
 * parseDuration('5min'); // 300000
 * parseDuration(10);     // 'expected a duration such as "500ms" … got 10 (a bare number has no unit)'
 * ```
 */
export function parseDuration(value: unknown): number | string {
  if (typeof value === 'number') {
    return `expected ${DURATION_EXPECTED}, got ${value} (a bare number has no unit; write "${value}ms" or "${value}s")`;
  }
  if (typeof value !== 'string') return `expected ${DURATION_EXPECTED}, got ${describe(value)}`;
  const match = DURATION.exec(value);
  if (!match) return `expected ${DURATION_EXPECTED}, got ${JSON.stringify(value)}${durationHint(value)}`;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(ms)) return `expected a duration of at most ${Number.MAX_SAFE_INTEGER}ms, got ${JSON.stringify(value)}`;
  return ms;
}

/** Unit spellings people write, and ours. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  ms: 'ms',
  msec: 'ms',
  msecs: 'ms',
  millisecond: 'ms',
  milliseconds: 'ms',
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  m: 'm',
  min: 'min',
  mins: 'min',
  minute: 'minute',
  minutes: 'min',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
};

/**
 * A `(did you mean "1s"?)` for a duration written the way people write them (`"1 s"`,
 * `"10 seconds"`, `"5S"`, `"1.5s"`), or nothing.
 *
 * @example
 * ```ts
 * durationHint('1 s'); // ' (did you mean "1s"?)'
 * ```
 */
export function durationHint(value: string): string {
  if (/^\s*[0-9]+\s*$/.test(value)) return ` (no unit: write "${value.trim()}ms" or "${value.trim()}s")`;
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)\s*$/.exec(value);
  const unit = match ? UNIT_WORDS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) return '';
  const amount = Number(match[1]);
  if (Number.isInteger(amount)) return ` (did you mean "${amount}${unit}"?)`;
  // A fraction: in the next unit down, if that makes it whole.
  const ms = amount * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Number.isInteger(ms) ? ` (no fractions: did you mean "${ms}ms"?)` : '';
}

/**
 * A hint for a number written in quotes where a number is expected (`threshold: "10"`), or nothing.
 *
 * @example
 * ```ts
 * quotedNumberHint('10'); // ' (a number in quotes is text: write 10 without quotes)'
 * ```
 */
export function quotedNumberHint(value: unknown): string {
  if (typeof value !== 'string' || !/^\s*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$/.test(value)) return '';
  return ` (a number in quotes is text: write ${value.trim()} without quotes)`;
}

/** Plain words for error messages. */
export const RATIO_EXPECTED = 'a ratio: a percentage such as "60%" or a number between 0 and 1';

/** `"60%"`, `"62.5%"`; the range is checked by {@link parseRatio}. */
export const RATIO_PATTERN = '^[0-9]+(\\.[0-9]+)?%$';

const RATIO = new RegExp(RATIO_PATTERN);

/**
 * Parses `"60%"` or `0.6` into a number in [0, 1].
 *
 * @example
 * ```ts
 * parseRatio('60%'); // 0.6
 * parseRatio(0.25);  // 0.25
 * parseRatio(60);    // 'expected a ratio … got 60 (did you mean "60%"?)'
 * ```
 */
export function parseRatio(value: unknown): number | string {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
    const hint = value > 1 && value <= 100 ? ` (did you mean "${value}%"?)` : '';
    return `expected ${RATIO_EXPECTED}, got ${value}${hint}`;
  }
  if (typeof value === 'string' && RATIO.test(value)) {
    const percent = Number(value.slice(0, -1));
    if (percent <= 100) return percent / 100;
  }
  return `expected ${RATIO_EXPECTED}, got ${describe(value)}${typeof value === 'string' ? ratioHint(value) : ''}`;
}

/**
 * A `(did you mean "60%"?)` for a ratio written `"60 %"` or `"0.6"`, or nothing.
 *
 * @example
 * ```ts
 * ratioHint('60 %'); // ' (did you mean "60%"?)'
 * ```
 */
export function ratioHint(value: string): string {
  const percent = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(value);
  if (percent && Number(percent[1]) <= 100) return ` (did you mean "${percent[1]}%"?)`;
  const number = Number(value);
  if (value.trim() !== '' && Number.isFinite(number) && number >= 0 && number <= 1) return ` (a number in quotes is text: write ${value.trim()} without quotes)`;
  return '';
}

/**
 * A short rendering of a value for "got …" in messages.
 *
 * @example
 * ```ts
 * describe([]); // 'an empty list'
 * ```
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  // What only objects given in the `rules` option can hold: JSON has no spelling for them.
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return `a symbol (${String(value)})`;
  if (typeof value === 'bigint') return `${value}n (a BigInt; give a number)`;
  // JSON has no spelling for these either (it writes null): YAML's, which is how they get here.
  if (typeof value === 'number' && Number.isNaN(value)) return '.nan (not a number)';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value < 0 ? '-' : ''}.inf (infinity; write the largest number you mean)`;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…"` : text;
}
