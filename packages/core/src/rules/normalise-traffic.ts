import { arr, headerNameAt, rec, regexAt, report, str, textAt, type Ctx, type Meta, type Rec } from './normalise-common.js';
import { isLabelToken } from '../labels/label-token.js';
import type { Path } from './problems.js';
import type {
  HttpRoute,
  LabelCondition,
  LabelMatch,
  LabelMatchType,
  RouteDestination,
  RouteMatch,
  StringMatch,
  TrafficLabelRule,
  TrafficRouter,
  WorkloadLabelRule,
} from './types.js';

const KEYED: ReadonlySet<string> = new Set(['header', 'query', 'cookie']);

/**
 * TrafficLabelRule: `param` → `query`, header keys lower-cased, values as strings.
 *
 * @example
 * ```ts
 * const rule = normaliseTrafficLabelRule(c, meta, spec);
 * ```
 */
export function normaliseTrafficLabelRule(c: Ctx, meta: Meta, spec: Rec): TrafficLabelRule {
  const match = arr(spec['match']).map((raw, i): LabelMatch => {
    const path: Path = ['spec', 'match', i];
    const m = rec(raw);
    const written = str(m['type']);
    const type = (written === 'param' ? 'query' : written) as LabelMatchType;
    const condition = str(m['condition']) as LabelCondition;
    let key = str(m['key']);
    if (KEYED.has(type)) {
      if (key === undefined) report(c, [...path, 'key'], `missing; expected the ${type} name to match`, path);
      else if (type === 'header') key = headerNameAt(c, [...path, 'key'], key)?.toLowerCase();
    } else if (m['key'] !== undefined && (type === 'path' || type === 'method')) {
      // Only for a type known to take no key: a misspelt type (`headers`) is its own problem.
      report(c, [...path, 'key'], `not used for type ${type} (it matches the request ${type} itself); remove it`);
      key = undefined;
    }
    let value: string | undefined;
    if (condition === 'exists') {
      if (m['value'] !== undefined) report(c, [...path, 'value'], 'not used with condition "exists"; remove it');
    } else if (m['value'] === undefined) {
      report(c, [...path, 'value'], `missing; expected the value to compare with (condition "${condition}")`, path);
    } else {
      value = textAt(c, [...path, 'value'], m['value']);
      if (type === 'method' && condition !== 'regex') value = value?.toUpperCase();
    }
    const regex = condition === 'regex' ? regexAt(c, [...path, 'value'], value, type === 'method' ? 'i' : '') : undefined;
    return { type, key, condition, value, regex };
  });
  return { ...meta, kind: 'TrafficLabelRule', trafficLabel: labelAt(c, ['spec', 'trafficLabel'], spec['trafficLabel']) ?? '', match };
}

const LABEL_EXPECTED = 'a label token (1–64 visible ASCII characters, none of , ; = " \\ or space), since labels travel in headers';

/** A label that travels between services must be a token (docs/rules.md, "Labels are tokens"). */
function labelAt(c: Ctx, path: Path, value: unknown): string | undefined {
  const label = str(value);
  if (label !== undefined && label !== '' && !isLabelToken(label)) report(c, path, `expected ${LABEL_EXPECTED}, got ${JSON.stringify(label)}`);
  return label;
}

/**
 * WorkloadLabelRule: selector values as strings.
 *
 * @example
 * ```ts
 * const rule = normaliseWorkloadLabelRule(c, meta, spec);
 * ```
 */
export function normaliseWorkloadLabelRule(c: Ctx, meta: Meta, spec: Rec): WorkloadLabelRule {
  const selector = selectorAt(c, ['spec', 'selector'], spec['selector']);
  const workloadLabels = arr(spec['workloadLabels'])
    .map((l, i) => labelAt(c, ['spec', 'workloadLabels', i], l))
    .filter((l): l is string => l !== undefined);
  return { ...meta, kind: 'WorkloadLabelRule', workloadLabels, selector };
}

/** A mapping of workload attributes to values, numbers read as strings. */
function selectorAt(c: Ctx, path: Path, raw: unknown): Record<string, string> {
  const selector: Record<string, string> = {};
  for (const [name, value] of Object.entries(rec(raw))) {
    const text = textAt(c, [...path, name], value);
    if (text !== undefined) selector[name] = text;
  }
  return selector;
}

/**
 * TrafficRouter (Istio VirtualService subset plus `destination.fallback`).
 *
 * @example
 * ```ts
 * const rule = normaliseTrafficRouter(c, meta, spec);
 * ```
 */
export function normaliseTrafficRouter(c: Ctx, meta: Meta, spec: Rec): TrafficRouter {
  const hosts = arr(spec['hosts']).filter((h): h is string => typeof h === 'string');
  const http = arr(spec['http']).map((raw, i): HttpRoute => {
    const path: Path = ['spec', 'http', i];
    const entry = rec(raw);
    const match = arr(entry['match']).map((m, j) => routeMatch(c, [...path, 'match', j], rec(m)));
    const routes = arr(entry['route']);
    const route = routes.map((r, j) => {
      const written = rec(r)['weight'];
      const weight = typeof written === 'number' ? written : routes.length === 1 ? 100 : 0;
      return { destination: destination(c, [...path, 'route', j, 'destination'], rec(rec(r)['destination'])), weight };
    });
    if (route.length > 0 && route.every((r) => r.weight === 0)) {
      report(c, [...path, 'route'], 'expected at least one destination with a weight > 0 (with several destinations, a missing weight is 0)');
    }
    return { match, route };
  });
  return { ...meta, kind: 'TrafficRouter', hosts, http };
}

function routeMatch(c: Ctx, path: Path, m: Rec): RouteMatch {
  const ignoreUriCase = m['ignoreUriCase'] === true;
  return {
    uri: stringMatch(c, [...path, 'uri'], m['uri'], ignoreUriCase ? 'i' : '', false),
    method: stringMatch(c, [...path, 'method'], m['method'], 'i', true),
    headers: byName(c, [...path, 'headers'], m['headers'], true),
    queryParams: byName(c, [...path, 'queryParams'], m['queryParams'], false),
    withoutHeaders: byName(c, [...path, 'withoutHeaders'], m['withoutHeaders'], true),
    sourceLabels: selectorAt(c, [...path, 'sourceLabels'], m['sourceLabels']),
    ignoreUriCase,
  };
}

function byName(c: Ctx, path: Path, raw: unknown, headers: boolean): Record<string, StringMatch> {
  const out: Record<string, StringMatch> = {};
  for (const [written, value] of Object.entries(rec(raw))) {
    const name = headers ? headerNameAt(c, [...path, written], written)?.toLowerCase() : written;
    if (name === undefined) continue;
    if (Object.hasOwn(out, name)) report(c, [...path, written], `header "${name}" is matched twice (header names ignore case)`);
    const match = stringMatch(c, [...path, written], value, '', false);
    if (match !== undefined) out[name] = match;
  }
  return out;
}

function stringMatch(c: Ctx, path: Path, raw: unknown, regexFlags: string, upper: boolean): StringMatch | undefined {
  if (raw === undefined) return undefined;
  const m = rec(raw);
  const exact = textAt(c, [...path, 'exact'], m['exact']);
  if (exact !== undefined) return { exact: upper ? exact.toUpperCase() : exact };
  const prefix = textAt(c, [...path, 'prefix'], m['prefix']);
  if (prefix !== undefined) return { prefix: upper ? prefix.toUpperCase() : prefix };
  const regex = regexAt(c, [...path, 'regex'], str(m['regex']), regexFlags);
  return regex === undefined ? undefined : { regex };
}

function destination(c: Ctx, path: Path, d: Rec): RouteDestination {
  const host = str(d['host']) ?? '';
  const port = typeof d['port'] === 'number' ? d['port'] : rec(d['port'])['number'];
  const fallback = d['fallback'] === undefined ? undefined : rec(d['fallback']);
  return {
    host,
    subset: str(d['subset']),
    port: typeof port === 'number' ? port : undefined,
    fallback: fallback === undefined ? undefined : { host: str(fallback['host']) ?? host, subset: str(fallback['subset']) },
  };
}
