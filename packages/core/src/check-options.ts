import { OpenSergoError } from './errors.js';
import type { OpenSergoOptions } from './options.js';
import { describe } from './rules/duration.js';
import { closest } from './rules/kinds.js';
import { compileTrust } from './client/client-address.js';

/** What one option must be: in words, and as a test. */
interface Check {
  readonly expected: string;
  readonly test: (value: unknown) => boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasMethods = (value: unknown, names: readonly string[]): boolean => isObject(value) && names.every((n) => typeof value[n] === 'function');
const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value !== '';

const text = (what: string): Check => ({ expected: `${what} (a non-empty string)`, test: nonEmpty });
const flag: Check = { expected: 'true or false', test: (v) => typeof v === 'boolean' };
const LOGGER_METHODS = ['info', 'warn', 'error'] as const;

/**
 * Every option and what it must be. Typed over every key of `OpenSergoOptions`, so that a new
 * option cannot be added without saying what it accepts.
 */
const CHECKS: { readonly [K in keyof OpenSergoOptions]-?: Check } = {
  rulesFile: text('a path'),
  rules: { expected: 'YAML text (a string) or an array of parsed documents', test: (v) => typeof v === 'string' || Array.isArray(v) },
  app: text('an app name'),
  namespace: text('a namespace'),
  store: {
    expected: 'a store (globalRateLimit, globalConcurrencyLimit, instanceCount and close methods), such as createRedisStore(…)',
    test: (v) => hasMethods(v, ['globalRateLimit', 'globalConcurrencyLimit', 'instanceCount', 'close']),
  },
  engine: { expected: 'an engine made with createEngine', test: (v) => hasMethods(v, ['enter', 'close']) },
  caseSensitive: flag,
  trustIncomingLabels: flag,
  logger: { expected: 'false, or a logger with info, warn and error methods (such as console)', test: (v) => v === false || hasMethods(v, LOGGER_METHODS) },
  clock: { expected: 'a clock with now, setTimer and clearTimer methods (such as new FakeClock())', test: (v) => hasMethods(v, ['now', 'setTimer', 'clearTimer']) },
  watch: flag,
  controlPlane: {
    expected: 'false, or { endpoint: "host:port", namespace?, app? }',
    test: (v) =>
      v === false ||
      (isObject(v) &&
        nonEmpty(v['endpoint']) &&
        (v['namespace'] === undefined || nonEmpty(v['namespace'])) &&
        (v['app'] === undefined || nonEmpty(v['app']))),
  },
  sources: {
    expected: 'an array of rule sources (each with a name, start and close)',
    test: (v) => Array.isArray(v) && v.every((s) => hasMethods(s, ['start', 'close']) && nonEmpty((s as Record<string, unknown>)['name'])),
  },  dryRun: flag,
  rateLimitHeaders: flag,
  trustProxy: {
    expected:
      "true, false, a hop count (a whole number ≥ 0), addresses/CIDRs (a comma-separated string or a list, e.g. 'loopback, 10.0.0.0/8') or a function (address, hop) => boolean",
    test: (v) => {
      if (typeof v === 'boolean' || typeof v === 'function') return true;
      if (typeof v === 'number') return Number.isInteger(v) && v >= 0;
      if (typeof v !== 'string' && !(Array.isArray(v) && v.every((e) => typeof e === 'string'))) return false;
      try {
        compileTrust(v as string | string[]);
        return true;
      } catch {
        return false;
      }
    },
  },
  forwardedHeader: {
    expected: "a header name, e.g. 'x-forwarded-for' (the default) or 'forwarded'",
    test: (v) => typeof v === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v),
  },
  ipv6Subnet: { expected: 'a prefix length from 1 to 128 (default 56)', test: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 128 },
  outcomeMetrics: { expected: '"tracked" or "all"', test: (v) => v === 'tracked' || v === 'all' },
  openTelemetry: {
    expected: 'true, false, or { meterProvider } (an OpenTelemetry MeterProvider, with getMeter)',
    test: (v) => typeof v === 'boolean' || (isObject(v) && (v['meterProvider'] === undefined || hasMethods(v['meterProvider'], ['getMeter']))),
  },
  requestContext: flag,
  // The workload identity's values are checked one by one when it is built (workload/workload.ts).
  workload: { expected: 'a mapping of attribute names to strings, e.g. { version: "v2" }', test: isObject },
  workloadLabels: { expected: 'an array of labels, e.g. ["gray"]', test: (v) => Array.isArray(v) },
};

const invalid = (message: string): OpenSergoError => new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `Invalid OpenSergo options: ${message}`);

/**
 * Checks the options before anything is done with them: each known option has the right type
 * (an option of the wrong type used to be read as truthy: `trustIncomingLabels: "false"` let
 * clients pick their lane), and a misspelt option name is refused with the name it is close
 * to. Other unknown names are left alone (a Fastify plugin's options also carry Fastify's own,
 * such as `prefix`). Throws ERR_OPENSERGO_OPTIONS_INVALID naming the option and what it must be.
 *
 * @example
 * ```ts
 * checkOptions({ trustIncomingLabels: 'false' });
 * // throws: Invalid OpenSergo options: `trustIncomingLabels` must be true or false, got "false" (a string: write false without quotes)
 * ```
 */
export function checkOptions(options: unknown): asserts options is OpenSergoOptions {
  if (options === undefined) return;
  if (!isObject(options)) throw invalid(`expected an object such as { rulesFile: './opensergo.yaml' }, got ${describe(options)}`);
  for (const [name, value] of Object.entries(options)) {
    const check = (CHECKS as Readonly<Record<string, Check>>)[name];
    if (check === undefined) {
      const guess = closest(name, Object.keys(CHECKS));
      if (guess !== undefined) throw invalid(`unknown option \`${name}\` (did you mean \`${guess}\`?)`);
      continue;
    }
    if (value === undefined || check.test(value)) continue;
    throw invalid(`\`${name}\` must be ${check.expected}, got ${shown(value, check === flag)}`);
  }
  if (options['rules'] !== undefined && options['rulesFile'] !== undefined) throw invalid('give either `rules` or `rulesFile`, not both');
}

/** `"false" (a string: write false without quotes)`, `42 (a number)`, `a function`, `a mapping`. */
function shown(value: unknown, wantsBoolean: boolean): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  if (typeof value === 'object' || value === null) return describe(value);
  const unquote = wantsBoolean && typeof value === 'string' && ['true', 'false'].includes(value.trim()) ? `: write ${value.trim()} without quotes` : '';
  return `${describe(value)} (${kindOf(value)}${unquote})`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
