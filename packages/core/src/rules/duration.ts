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
  if (!match) return `expected ${DURATION_EXPECTED}, got ${JSON.stringify(value)}`;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(ms)) return `expected a duration of at most ${Number.MAX_SAFE_INTEGER}ms, got ${JSON.stringify(value)}`;
  return ms;
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
  return `expected ${RATIO_EXPECTED}, got ${describe(value)}`;
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
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…"` : text;
}
