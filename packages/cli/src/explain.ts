import { createEngine, requestView, type Decision, type Scope } from '@opensergo/core';
import { readFiles } from './read-files.js';
import type { Output } from './output.js';

/** `Name: value` strings into a header bag (names lower-cased, repeated names joined). */
export function parseHeaders(raw: readonly string[]): Record<string, string> | string {
  const headers: Record<string, string> = {};
  for (const line of raw) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `a header must look like 'Name: value', got '${line}'`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

function describeDecision(decision: Decision): string {
  if (decision.type === 'pass') return 'pass: a fresh engine admits it (your handler answers)';
  const { statusCode, body } = decision.response;
  const rule = decision.rule.replace(/^FaultToleranceRule\//, '');
  return `block by ${decision.kind} in ${rule}: ${statusCode} ${JSON.stringify(body)}`;
}

/**
 * `opensergo explain <files…> <METHOD> <url> [-H 'Name: value']…`: the request's resource, its
 * traffic labels and the rules that gave them, every check that applies in check order, and
 * what a fresh engine with these rules decides for it.
 */
export async function explain(
  files: readonly string[],
  method: string,
  url: string,
  headers: Record<string, string>,
  scope: Scope,
  out: Output,
): Promise<number> {
  const { documents, problems, unreadable } = readFiles(files);
  for (const line of unreadable) out.err(line);
  if (unreadable.length > 0) return 2;
  const engine = createEngine({ logger: false, rules: [], watch: false, controlPlane: false, openTelemetry: false, ...definedScope(scope) });
  try {
    // Syntax problems go with the documents, so that every problem is reported as validate reports it.
    const result = engine.update('files', documents, { problems });
    if (!result.ok) {
      out.err(result.error.message);
      return 1;
    }
    const view = requestView(method.toUpperCase(), url, headers);
    const explained = engine.explain(view);
    out.log(`${view.method} ${url}`);
    out.log(`  path:      ${explained.path}`);
    out.log(`  resource:  ${explained.resource}`);
    const from = explained.trafficLabelRules.length ? ` (TrafficLabelRule ${explained.trafficLabelRules.join(', ')})` : '';
    out.log(`  labels:    ${explained.trafficLabels.length ? explained.trafficLabels.join(', ') + from : 'none'}`);
    if (explained.checks.length === 0) out.log('  checks:    none (no FaultToleranceRule targets it)');
    else {
      out.log('  checks, in order:');
      explained.checks.forEach((c, i) => {
        const dry = c.dryRun ? ' [dry run]' : '';
        out.log(`    ${i + 1}. FaultToleranceRule ${c.rule}: ${c.kind} ${c.strategy} on ${c.target}, fallback ${c.fallback}${dry}`);
      });
    }
    out.log(`  decision:  ${describeDecision(await engine.enter(view))}`);
    return 0;
  } finally {
    await engine.close();
  }
}

function definedScope(scope: Scope): { app?: string; namespace?: string } {
  return { ...(scope.app !== undefined && { app: scope.app }), ...(scope.namespace !== undefined && { namespace: scope.namespace }) };
}
