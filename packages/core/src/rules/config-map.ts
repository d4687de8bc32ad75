import type { LocatedDocument, SourceTextDocument } from './source.js';
import type { ParsedText } from './parse-exact.js';
import type { Position } from './yaml-locator.js';

/** What marks a ConfigMap data value as rules: an OpenSergo API group in it. */
const RULES_MARK = 'opensergo.io/';

/** The data of a Kubernetes ConfigMap document, or `undefined` when it is not one. */
export function configMapData(value: unknown): Readonly<Record<string, unknown>> | undefined {
  const { apiVersion, kind, data } = (value ?? {}) as { apiVersion?: unknown; kind?: unknown; data?: unknown };
  if (apiVersion !== 'v1' || kind !== 'ConfigMap' || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return data as Record<string, unknown>;
}

/**
 * The rules a Kubernetes ConfigMap carries, when the rules file is the ConfigMap itself (the
 * manifest, rather than the file Kubernetes mounts from it): every `data` value that holds an
 * OpenSergo resource is read as a rules file of its own; other values (`application.yml`…)
 * are left alone. Positions point into the ConfigMap's file: exactly for a literal block
 * (`rules.yaml: |`, how ConfigMaps are written), at the data key otherwise. `parse` reads one
 * value (it is `parseRulesSteps`, passed in to keep the modules acyclic).
 *
 * @example
 * ```ts
 * const carried = configMapRules(doc, text, (t) => runSync(parseRulesSteps(t, file)));
 * carried?.documents.length; // the rules in its data
 * ```
 */
export function configMapRules(doc: LocatedDocument, text: string, parse: (text: string) => ParsedText): ParsedText | undefined {
  const data = configMapData(doc.value);
  if (data === undefined) return undefined;
  const out: ParsedText = { documents: [], problems: [] };
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || !value.includes(RULES_MARK)) continue;
    const map = positionMap(text, doc.locate(['data', key]), value);
    const inner = parse(value);
    for (const d of inner.documents) out.documents.push(relocated(d, doc, map));
    for (const p of inner.problems) out.problems.push({ ...p, file: doc.file, ...map(p) });
  }
  return out;
}

/**
 * How a position in a data value maps into the file: for a literal block scalar (`|`, `|-`,
 * `|2`) whose lines are the value's lines indented, line for line; otherwise everything maps
 * to where the value starts.
 */
function positionMap(text: string, at: Position, value: string): (p: Position) => Position {
  const start = { ...at };
  const constant = (): Position => ({ ...start });
  const lines = text.split('\n');
  const header = lines[at.line - 1];
  if (header === undefined || !/^\|[-+]?[0-9]?\s*(#.*)?$/.test(header.slice(at.column - 1).trimEnd())) return constant;
  const body = lines.slice(at.line);
  const first = body.find((l) => l.trim() !== '');
  const indent = first === undefined ? 0 : /^ */.exec(first)![0].length;
  const valueLines = value.split('\n');
  // The value must be the block's lines, dedented; anything else (a CRLF file…) points at the start.
  if (valueLines.some((l, i) => l !== '' && body[i]?.replace(/\r$/, '').slice(indent) !== l)) return constant;
  return (p) => ({ line: at.line + p.line, column: p.column + indent });
}

function relocated(d: LocatedDocument, configMap: LocatedDocument, map: (p: Position) => Position): LocatedDocument {
  const located: SourceTextDocument = {
    value: d.value,
    file: configMap.file,
    index: configMap.index,
    locate: (path) => map(d.locate(path)),
    scalarSource: (path) => ('scalarSource' in d ? (d as SourceTextDocument).scalarSource(path) : undefined),
    ...(d.unreadable ? { unreadable: true as const } : {}),
  };
  return located;
}
