import { normalisePath } from '../matching/normalise-path.js';
import { LinearRegex } from '../rules/linear-regex.js';
import type { LabelMatch, TrafficLabelRule } from '../rules/types.js';
import type { RequestView } from '../request-view.js';

/** The baggage key and header that carry labels between services (docs/rules.md). */
export const BAGGAGE_KEY = 'OpenSergo-Label';
export const LABEL_HEADER = 'x-opensergo-traffic';

/** The labels of a request that has none (one shared frozen array). */
export const NO_LABELS: readonly string[] = Object.freeze([]);

type Test = (view: RequestView, path: string) => boolean;

function compileCondition(match: LabelMatch, foldCase: boolean): (actual: string | undefined) => boolean {
  const isPath = match.type === 'path';
  const fold = (s: string): string => (isPath && foldCase ? s.toLowerCase() : s);
  const raw = match.value ?? '';
  const value = isPath && (match.condition === '==' || match.condition === '!=') ? normalisePath(raw, foldCase) : fold(raw);
  switch (match.condition) {
    case 'exists':
      return (actual) => actual !== undefined;
    case '==':
      return (actual) => actual === value;
    case '!=':
      return (actual) => actual !== value;
    case 'prefix':
      return (actual) => actual !== undefined && actual.startsWith(value);
    case 'suffix':
      return (actual) => actual !== undefined && actual.endsWith(value);
    case 'contains':
      return (actual) => actual !== undefined && actual.includes(value);
    case 'regex': {
      const written = match.regex ?? new LinearRegex(raw, '');
      const regex = isPath && foldCase && !written.flags.includes('i') ? new LinearRegex(written.source, `${written.flags}i`) : written;
      return (actual) => actual !== undefined && regex.test(actual);
    }
  }
}

function compileMatch(match: LabelMatch, foldCase: boolean): Test {
  const holds = compileCondition(match, foldCase);
  const key = match.key ?? '';
  switch (match.type) {
    case 'path':
      return (_view, path) => holds(path);
    case 'method':
      return (view) => holds(view.method);
    case 'header':
      return (view) => holds(view.header(key));
    case 'query':
      return (view) => holds(view.query(key));
    case 'cookie':
      return (view) => holds(view.cookie(key));
  }
}

/** Splits a label list (`a, b`), dropping empties. */
function splitLabels(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Labels an upstream service put on the request: the header first, else W3C baggage. */
export function incomingLabels(view: RequestView): string[] | undefined {
  const header = view.header(LABEL_HEADER);
  if (header) {
    const labels = splitLabels(header);
    if (labels.length) return labels;
  }
  const baggage = view.header('baggage');
  if (!baggage) return undefined;
  for (const member of baggage.split(',')) {
    const eq = member.indexOf('=');
    if (eq === -1 || member.slice(0, eq).trim().toLowerCase() !== BAGGAGE_KEY.toLowerCase()) continue;
    const raw = member.slice(eq + 1).split(';')[0]!.trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // keep it raw
    }
    const labels = splitLabels(value);
    if (labels.length) return labels;
  }
  return undefined;
}

/**
 * TrafficLabelRules compiled for one rule set: a request gets every label whose rule matches,
 * in file order, after any labels it arrived with (unless incoming labels are not trusted).
 */
export class TrafficLabeler {
  private readonly rules: readonly { readonly label: string; readonly tests: readonly Test[] }[];

  constructor(
    rules: readonly TrafficLabelRule[],
    foldCase: boolean,
    private readonly trustIncoming: boolean,
  ) {
    this.rules = rules.map((rule) => ({ label: rule.trafficLabel, tests: rule.match.map((m) => compileMatch(m, foldCase)) }));
  }

  /** Labels of the request; `path` is the normalised path. */
  labels(view: RequestView, path: string): readonly string[] {
    let labels = this.trustIncoming ? incomingLabels(view) : undefined;
    for (const rule of this.rules) {
      if (!rule.tests.every((test) => test(view, path))) continue;
      if (!labels) labels = [rule.label];
      else if (!labels.includes(rule.label)) labels.push(rule.label);
    }
    return labels ?? NO_LABELS;
  }
}

/**
 * Headers that carry a request's labels to the services it calls, for full-link gray
 * release: merge them into the headers of your outgoing HTTP calls.
 *
 * @example
 * ```ts
 * import { propagationHeaders } from '@opensergo/core';
 * // in a handler: fetch(url, { headers: propagationHeaders(req.opensergo.trafficLabels) })
 * propagationHeaders(['gray']); // { baggage: 'OpenSergo-Label=gray', 'x-opensergo-traffic': 'gray' }
 * ```
 */
export function propagationHeaders(labels: readonly string[]): Record<string, string> {
  if (labels.length === 0) return {};
  const list = labels.join(',');
  return { baggage: `${BAGGAGE_KEY}=${encodeURIComponent(list)}`, [LABEL_HEADER]: list };
}
