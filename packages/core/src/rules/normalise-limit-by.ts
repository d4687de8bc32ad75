import { isIP } from 'node:net';
import { clientKey } from '../client/client-address.js';
import { describe } from './duration.js';
import { arr, durationAt, headerNameAt, rec, report, str, type Ctx, type Rec } from './normalise-common.js';
import type { LimitBy, LimitByOverride, LimitByType, PerClient } from './types.js';

/** What `maxTrackedValues` is when a rule does not say. */
export const DEFAULT_MAX_TRACKED_VALUES = 100_000;

const KEYED: ReadonlySet<LimitByType> = new Set(['header', 'query', 'cookie']);

/**
 * The per-client fields of a RateLimit, Throttling or ConcurrencyLimit strategy (our extension,
 * docs/per-client.md): `limitBy`, `limitByOverrides` (each with a `threshold`, or for throttling a
 * `minIntervalOfRequests`) and `maxTrackedValues`. The schema has checked the shapes; this adds
 * what it cannot say: which types need a `key`, that overrides and `maxTrackedValues` only mean
 * something with `limitBy`, that no value is overridden twice, and that clientIp values are addresses.
 *
 * @example
 * ```ts
 * const perClient = limitByAt(c, spec); // { limitBy: { type: 'header', key: 'x-api-key' }, … }
 * ```
 */
export function limitByAt(c: Ctx, spec: Rec): PerClient {
  const raw = spec['limitBy'];
  const limitBy = raw === undefined ? undefined : limitByOf(c, rec(raw));
  if (raw === undefined) {
    for (const field of ['limitByOverrides', 'maxTrackedValues']) {
      if (spec[field] !== undefined) report(c, ['spec', field], `only used with limitBy (a per-client limit); add limitBy or remove ${field}`);
    }
  }
  /** Each value's index, by the value as requests are counted (an address as its canonical text). */
  const seen = new Map<string, number>();
  const limitByOverrides = arr(spec['limitByOverrides']).flatMap((item, i): LimitByOverride[] => {
    const override = rec(item);
    const written = override['value'];
    const value = typeof written === 'number' ? String(written) : str(written);
    if (value === undefined) return [];
    const path = ['spec', 'limitByOverrides', i, 'value'];
    const address = limitBy?.type === 'clientIp' ? value.replace(/^\[|\]$/g, '') : undefined;
    if (address !== undefined && isIP(address) === 0) {
      report(c, path, `expected an IP address for limitBy clientIp, such as "10.0.0.7" or "2001:db8::1", got ${describe(value)}`);
    }
    // One address written two ways (`::ffff:10.0.0.1` and `10.0.0.1`, upper case) is one client.
    const counted = address === undefined || isIP(address) === 0 ? value : clientKey(address, 128);
    const first = seen.get(counted);
    if (first === undefined) seen.set(counted, i);
    else if (counted === value) report(c, path, `the value ${describe(value)} is overridden twice; keep one`);
    else report(c, path, `the address ${describe(value)} is overridden twice (it is ${counted}, as limitByOverrides[${first}]); keep one`);
    const threshold = override['threshold'];
    const interval = override['minIntervalOfRequests'];
    return [
      {
        value,
        threshold: typeof threshold === 'number' ? threshold : undefined,
        minIntervalMs: interval === undefined ? undefined : durationAt(c, ['spec', 'limitByOverrides', i, 'minIntervalOfRequests'], interval, 0),
      },
    ];
  });
  const max = spec['maxTrackedValues'];
  return { limitBy, limitByOverrides, maxTrackedValues: typeof max === 'number' ? max : DEFAULT_MAX_TRACKED_VALUES };
}

function limitByOf(c: Ctx, raw: Rec): LimitBy | undefined {
  const type = str(raw['type']) as LimitByType | undefined;
  if (type === undefined) return undefined;
  const written = str(raw['key']);
  if (KEYED.has(type)) {
    if (written === undefined) {
      const example = type === 'header' ? 'X-API-Key' : type === 'query' ? 'api_key' : 'session';
      return void report(c, ['spec', 'limitBy', 'key'], `missing; limitBy ${type} needs the ${type === 'query' ? 'query parameter' : type} name, e.g. key: ${example}`, ['spec', 'limitBy']);
    }
    if (type === 'header') {
      const name = headerNameAt(c, ['spec', 'limitBy', 'key'], written);
      return name === undefined ? undefined : { type, key: name.toLowerCase() };
    }
    return { type, key: written };
  }
  if (written !== undefined) report(c, ['spec', 'limitBy', 'key'], `limitBy ${type} takes no key; remove it`);
  return { type, key: undefined };
}
