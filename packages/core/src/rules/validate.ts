import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DURATION_PATTERN, RATIO_PATTERN, describe, durationHint, quotedNumberHint, ratioHint } from './duration.js';
import { closest, editDistance } from './kinds.js';
import type { Path, ProblemSink } from './problems.js';
import type { Schema } from './schemas/common.js';
import * as ft from './schemas/fault-tolerance.js';
import * as traffic from './schemas/traffic.js';
import type { OpenSergoKind } from './types.js';

const SCHEMAS: Readonly<Record<OpenSergoKind, Schema>> = {
  TrafficLabelRule: traffic.trafficLabelRule,
  WorkloadLabelRule: traffic.workloadLabelRule,
  TrafficRouter: traffic.trafficRouter,
  FaultToleranceRule: ft.faultToleranceRule,
  RateLimitStrategy: ft.rateLimitStrategy,
  ThrottlingStrategy: ft.throttlingStrategy,
  ConcurrencyLimitStrategy: ft.concurrencyLimitStrategy,
  CircuitBreakerStrategy: ft.circuitBreakerStrategy,
  AdaptiveOverloadProtectionStrategy: ft.adaptiveOverloadProtectionStrategy,
  HttpRequestFallbackAction: ft.httpRequestFallbackAction,
};

let validators: ReadonlyMap<OpenSergoKind, ValidateFunction> | undefined;

/** Compiles the ten schemas once per process, on first use. */
function validatorFor(kind: OpenSergoKind): ValidateFunction {
  if (validators === undefined) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword('expected');
    validators = new Map(Object.entries(SCHEMAS).map(([k, schema]) => [k as OpenSergoKind, ajv.compile(schema)]));
  }
  return validators.get(kind)!;
}

/**
 * Validates a whole document against its kind's JSON Schema and records every violation
 * in `sink`, in plain words (`expected a number ≥ 0, got "ten"`). Returns whether it passed.
 *
 * @example
 * ```ts
 * const ok = validateDocument('RateLimitStrategy', doc.value, sink);
 * ```
 */
export function validateDocument(kind: OpenSergoKind, value: unknown, sink: ProblemSink): boolean {
  const validate = validatorFor(kind);
  const slips = scopeSlips(kind, value, sink);
  if (validate(value)) return slips === 0;
  for (const error of validate.errors ?? []) {
    const { path, at, message } = translate(error);
    if (!sink.has(path)) sink.add(path, message, at);
  }
  return false;
}

/** Kubernetes' ObjectMeta fields: what `kubectl get -o yaml` may print, allowed and ignored. */
const OBJECT_META: ReadonlySet<string> = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/**
 * Metadata fields and selector labels are open (docs/rules.md), but a misspelt `namespace`,
 * `labels` or selector `app` would widen the rule's scope to every namespace or app without a
 * word: a key close to one we read (and not a Kubernetes metadata field) is a problem. A
 * WorkloadLabelRule's selector is left alone: its labels are the workload's attributes, and a
 * slip there matches fewer processes, not more. Returns how many were found.
 */
function scopeSlips(kind: OpenSergoKind, value: unknown, sink: ProblemSink): number {
  const head = mapping(value);
  let found = 0;
  for (const key of Object.keys(mapping(head?.['metadata']) ?? {})) {
    if (OBJECT_META.has(key)) continue;
    const guess = closest(key, ['name', 'namespace', 'labels']);
    if (guess === undefined) continue;
    sink.add(['metadata', key], `unknown field "${key}" (did you mean "${guess}"?)`);
    found++;
  }
  const selector = kind === 'WorkloadLabelRule' ? undefined : mapping(mapping(head?.['spec'])?.['selector']);
  for (const key of Object.keys(selector ?? {})) {
    // One edit from `app` (`ap`, `aap`, `App`, `apps`): two would take in real labels such as `az`.
    if (key === 'app' || editDistance(key.toLowerCase(), 'app') > 1) continue;
    sink.add(['spec', 'selector', key], `unknown selector label "${key}" (did you mean "app"?); only app scopes a rule`);
    found++;
  }
  return found;
}

function mapping(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function translate(error: ErrorObject): { path: Path; at: Path; message: string } {
  const at = pointerToPath(error.instancePath);
  const schema = (error.parentSchema ?? {}) as { expected?: string; properties?: Record<string, { expected?: string }> };
  switch (error.keyword) {
    case 'required': {
      const name = String(error.params['missingProperty']);
      const child = schema.properties?.[name]?.expected;
      return { path: [...at, name], at, message: child ? `missing; expected ${child}` : 'missing' };
    }
    case 'additionalProperties': {
      const name = String(error.params['additionalProperty']);
      if (name === '<<') {
        return { path: [...at, name], at: [...at, name], message: '"<<" is a YAML 1.1 merge key, which YAML 1.2 does not have: write the fields out' };
      }
      const known = Object.keys(schema.properties ?? {});
      const guess = closest(name, known);
      const hint = guess ? ` (did you mean "${guess}"?)` : known.length > 0 ? `; expected one of ${known.join(', ')}` : '';
      return { path: [...at, name], at: [...at, name], message: `unknown field "${name}"${hint}` };
    }
    case 'enum': {
      const allowed = (error.params['allowedValues'] as unknown[]).map(String);
      const guess = typeof error.data === 'string' ? closest(error.data, allowed) : undefined;
      const hint = guess ? ` (did you mean "${guess}"?)` : '';
      return { path: at, at, message: `expected one of ${allowed.join(', ')}, got ${describe(error.data)}${hint}` };
    }
    default: {
      const expected = schema.expected ?? error.message ?? 'a different value';
      return { path: at, at, message: `expected ${expected}, got ${describe(error.data)}${hint(error)}` };
    }
  }
}

/** How to fix the commonest slips: a number in quotes, a duration or ratio with a space. */
function hint(error: ErrorObject): string {
  const data: unknown = error.data;
  if (error.keyword === 'type') {
    const types = ([] as unknown[]).concat(error.params['type']);
    return types.includes('number') || types.includes('integer') ? quotedNumberHint(data) : '';
  }
  if (error.keyword === 'pattern' && typeof data === 'string') {
    if (error.params['pattern'] === DURATION_PATTERN) return durationHint(data);
    if (error.params['pattern'] === RATIO_PATTERN) return ratioHint(data);
  }
  return '';
}

function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}
