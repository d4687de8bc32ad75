import { OpenSergoError } from '../errors.js';
import { normalisePath } from '../matching/normalise-path.js';
import { isLabelToken, MAX_LABELS } from './label-token.js';
import { LinearRegex } from '../rules/linear-regex.js';
import type { LabelMatch, TrafficLabelRule } from '../rules/types.js';
import type { RequestView } from '../request-view.js';

/** The baggage key and header that carry labels between services (docs/rules.md). */
export const BAGGAGE_KEY = 'OpenSergo-Label';
export const LABEL_HEADER = 'x-opensergo-traffic';

/** The labels of a request that has none (one shared frozen array). */
export const NO_LABELS: readonly string[] = Object.freeze([]);
/**
 * No labels, though the request arrived with an `OpenSergo-Label` baggage member that is not
 * one of its labels (incoming labels untrusted, or the member's labels dropped as no tokens):
 * OpenTelemetry, which extracts the request's own baggage, must not carry that member on
 * (`runRequest`). Told apart from {@link NO_LABELS} by identity, so other requests pay nothing.
 */
export const FOREIGN_LABELS: readonly string[] = Object.freeze([]);

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

/** Told of each label dropped from `source` (a header name), and of labels beyond the first {@link MAX_LABELS}. */
export type DroppedLabel = (source: string, label: string, reason: 'not a token' | 'too many') => void;

/** Splits a label list (`a, b`), keeping the first {@link MAX_LABELS} tokens and dropping anything else. */
function splitLabels(value: string, source: string, dropped?: DroppedLabel): string[] {
  const labels: string[] = [];
  for (const part of value.split(',')) {
    const label = part.trim();
    if (labels.length === MAX_LABELS) {
      if (label !== '' && !labels.includes(label)) dropped?.(source, label, 'too many');
    } else if (isLabelToken(label)) {
      if (!labels.includes(label)) labels.push(label);
    } else if (label !== '') {
      dropped?.(source, label, 'not a token');
    }
  }
  return labels;
}

/**
 * Labels an upstream service put on the request: the header first, else W3C baggage. Only
 * label tokens are kept (see `isLabelToken`), at most {@link MAX_LABELS}: a label with CR/LF,
 * non-ASCII or over 64 bytes never reaches a handler or an outgoing call. `dropped` hears of
 * what was left out.
 */
export function incomingLabels(view: RequestView, dropped?: DroppedLabel): string[] | undefined {
  const labels = readIncoming(view, dropped);
  return labels === FOREIGN_LABELS ? undefined : (labels as string[] | undefined);
}

/** {@link incomingLabels}, or {@link FOREIGN_LABELS} when a baggage member gave no label. */
function readIncoming(view: RequestView, dropped?: DroppedLabel): readonly string[] | undefined {
  const header = view.header(LABEL_HEADER);
  if (header) {
    const labels = splitLabels(header, LABEL_HEADER, dropped);
    if (labels.length) return labels;
  }
  const baggage = view.header('baggage');
  if (!baggage) return undefined;
  const member = labelMember(baggage);
  if (member === undefined) return undefined;
  const labels = splitLabels(member, 'baggage', dropped);
  return labels.length ? labels : FOREIGN_LABELS;
}

/** Whether the request's baggage has an `OpenSergo-Label` member (read when labels are untrusted). */
function carriesLabelMember(view: RequestView): boolean {
  const baggage = view.header('baggage');
  return baggage !== undefined && baggage !== '' && labelMember(baggage) !== undefined;
}

// A request's labels are one array shared by everything below it: encode them once.
const encoded = new WeakMap<readonly string[], string>();
function labelMemberOf(labels: readonly string[]): string {
  let member = encoded.get(labels);
  if (member === undefined) encoded.set(labels, (member = `${BAGGAGE_KEY}=${encodeURIComponent(labels.join(','))}`));
  return member;
}

const isLabelMember = (member: string): boolean => {
  const eq = member.indexOf('=');
  return eq !== -1 && member.slice(0, eq).trim().toLowerCase() === BAGGAGE_KEY.toLowerCase();
};

/**
 * The value of the first `OpenSergo-Label` member of a W3C `baggage` header, percent-decoded
 * (properties after `;` dropped), or `undefined` when it has none.
 *
 * @example
 * ```ts
 * labelMember('userId=7, OpenSergo-Label=gray%2Cblue'); // 'gray,blue'
 * ```
 */
export function labelMember(baggage: string): string | undefined {
  for (const member of baggage.split(',')) {
    if (!isLabelMember(member)) continue;
    const raw = member.slice(member.indexOf('=') + 1).split(';')[0]!.trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/**
 * `baggage` with its `OpenSergo-Label` member set to `labels` (other members kept, in order),
 * or removed when `labels` is empty; `undefined` when nothing is left.
 *
 * @example
 * ```ts
 * withLabelMember('userId=7', ['gray']); // 'userId=7,OpenSergo-Label=gray'
 * ```
 */
export function withLabelMember(baggage: string | undefined, labels: readonly string[]): string | undefined {
  if (baggage === undefined && labels.length !== 0) return labelMemberOf(labels);
  const members = baggage === undefined ? [] : baggage.split(',').filter((m) => m.trim() !== '' && !isLabelMember(m));
  if (labels.length) members.push(labelMemberOf(labels));
  return members.length ? members.map((m) => m.trim()).join(',') : undefined;
}

function holdsAll(tests: readonly Test[], view: RequestView, path: string): boolean {
  for (let i = 0; i < tests.length; i++) if (!tests[i]!(view, path)) return false;
  return true;
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
    private readonly dropped?: DroppedLabel,
  ) {
    this.rules = rules.map((rule) => ({ label: rule.trafficLabel, tests: rule.match.map((m) => compileMatch(m, foldCase)) }));
  }

  /** Labels of the request; `path` is the normalised path. */
  labels(view: RequestView, path: string): readonly string[] {
    const incoming = this.trustIncoming ? readIncoming(view, this.dropped) : carriesLabelMember(view) ? FOREIGN_LABELS : undefined;
    let labels = incoming === FOREIGN_LABELS ? undefined : (incoming as string[] | undefined);
    // Indexed loops: `for…of` runs V8's array iterator even over no rules, and `every` a closure.
    const rules = this.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (!holdsAll(rule.tests, view, path)) continue;
      if (!labels) labels = [rule.label];
      else if (!labels.includes(rule.label) && labels.length < MAX_LABELS) labels.push(rule.label);
    }
    return labels ?? (incoming === FOREIGN_LABELS ? FOREIGN_LABELS : NO_LABELS);
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
  checkLabels(labels);
  if (labels.length === 0) return {};
  return { baggage: withLabelMember(undefined, labels)!, [LABEL_HEADER]: labels.join(',') };
}

/**
 * Throws `ERR_OPENSERGO_LABEL_INVALID` unless `labels` is a list of at most {@link MAX_LABELS}
 * label tokens: labels given directly (not read from a request) are refused, never cleaned.
 *
 * @example
 * ```ts
 * import { checkLabels } from '@opensergo/core';
 * checkLabels(['gray']); // fine
 * checkLabels(['gray blue']); // throws ERR_OPENSERGO_LABEL_INVALID
 * ```
 */
export function checkLabels(labels: readonly string[]): void {
  if (!Array.isArray(labels)) throw labelInvalid(`expected an array of labels, got ${typeof labels}`);
  if (labels.length > MAX_LABELS) throw labelInvalid(`${labels.length} labels; at most ${MAX_LABELS} travel with a call`);
  for (const label of labels) {
    if (typeof label !== 'string' || !isLabelToken(label)) {
      throw labelInvalid(`${JSON.stringify(label)} is not a label token (1–64 visible ASCII characters, none of , ; = " \\ or space)`);
    }
  }
}

function labelInvalid(message: string): OpenSergoError {
  return new OpenSergoError('ERR_OPENSERGO_LABEL_INVALID', `Invalid traffic label: ${message}`);
}
