import { DURATION_EXPECTED, DURATION_PATTERN, RATIO_EXPECTED, RATIO_PATTERN } from '../duration.js';

/**
 * A JSON Schema (draft-07 subset that ajv compiles). Every schema that can fail carries an
 * `expected` annotation: the plain words used in the problem message (`expected …, got …`).
 */
export type Schema = { readonly [keyword: string]: unknown };

/**
 * A non-empty string.
 *
 * @example
 * ```ts
 * text('a host name'); // { type: 'string', minLength: 1, … }
 * ```
 */
export function text(expected = 'a non-empty string', maxLength?: number): Schema {
  return maxLength === undefined
    ? { type: 'string', minLength: 1, expected }
    : { type: 'string', minLength: 1, maxLength, expected };
}

/**
 * A string, or a number YAML typed as one (normalised to its source text).
 *
 * @example
 * ```ts
 * stringOrNumber(); // accepts "a" and 12345
 * ```
 */
export function stringOrNumber(expected = 'a string or a number'): Schema {
  return { type: ['string', 'number'], expected };
}

/**
 * One of a few literal strings.
 *
 * @example
 * ```ts
 * oneOf(['Local', 'Global']);
 * ```
 */
export function oneOf(values: readonly string[]): Schema {
  return { type: 'string', enum: values, expected: `one of ${values.join(', ')}` };
}

/**
 * A number ≥ `min` (fractions allowed).
 *
 * @example
 * ```ts
 * number(0); // 'expected a number ≥ 0'
 * ```
 */
export function number(min: number, expected = `a number ≥ ${min}`): Schema {
  return { type: 'number', minimum: min, expected };
}

/**
 * An integer in [min, max].
 *
 * @example
 * ```ts
 * integer(100, 599, 'an HTTP status code from 100 to 599');
 * ```
 */
export function integer(min: number, max?: number, expected?: string): Schema {
  const words = expected ?? (max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`);
  return max === undefined
    ? { type: 'integer', minimum: min, expected: words }
    : { type: 'integer', minimum: min, maximum: max, expected: words };
}

/**
 * A duration such as `"1s"`. Numbers pass the schema on purpose: the normaliser reports a
 * bare number with a better hint ("write 10ms or 10s").
 *
 * @example
 * ```ts
 * const statDuration = duration();
 * ```
 */
export function duration(): Schema {
  return { type: ['string', 'number'], pattern: DURATION_PATTERN, expected: DURATION_EXPECTED };
}

/**
 * `"60%"` or a number in [0, 1]. Ranges are checked by the normaliser, which can say
 * `did you mean "60%"?` for a 60.
 *
 * @example
 * ```ts
 * const triggerRatio = ratio();
 * ```
 */
export function ratio(): Schema {
  return { type: ['string', 'number'], pattern: RATIO_PATTERN, expected: RATIO_EXPECTED };
}

/**
 * A list of at least `min` items.
 *
 * @example
 * ```ts
 * list(text(), 'a list of at least one host');
 * ```
 */
export function list(items: Schema, expected: string, min = 1): Schema {
  return { type: 'array', items, minItems: min, expected };
}

/**
 * A mapping with exactly these fields (a misspelt field is an error).
 *
 * @example
 * ```ts
 * object({ host: text() }, ['host']);
 * ```
 */
export function object(properties: Record<string, Schema>, required: readonly string[] = [], expected?: string): Schema {
  const words = expected ?? `a mapping with ${fieldList(properties, required)}`;
  return { type: 'object', properties, required, additionalProperties: false, expected: words };
}

/**
 * A mapping of free keys to values of one schema.
 *
 * @example
 * ```ts
 * mapOf(text(), 'a mapping of names to values');
 * ```
 */
export function mapOf(values: Schema, expected: string, minProperties = 0): Schema {
  return minProperties > 0
    ? { type: 'object', additionalProperties: values, minProperties, expected }
    : { type: 'object', additionalProperties: values, expected };
}

/** `spec.selector`: which app (and other workload labels) a rule is for. */
export const selector: Schema = mapOf(stringOrNumber('a label value (string)'), 'a mapping of label names to values, e.g. { app: my-app }');

/** Kubernetes object metadata; fields we do not use (uid, annotations…) are allowed. */
const metadata: Schema = {
  type: 'object',
  properties: {
    name: text('a non-empty name', 253),
    namespace: text('a non-empty namespace', 253),
    labels: mapOf({ type: ['string', 'number', 'boolean'], expected: 'a label value (string)' }, 'a mapping of label names to values'),
  },
  required: ['name'],
  expected: 'a mapping with name (required), namespace, labels',
};

/**
 * The whole document of one kind, around its `spec` schema.
 *
 * @example
 * ```ts
 * export const throttlingStrategy = resource(object({ queueTimeout: duration() }, ['queueTimeout']));
 * ```
 */
export function resource(spec: Schema): Schema {
  return {
    type: 'object',
    properties: {
      apiVersion: text('an API version such as fault-tolerance.opensergo.io/v1alpha1'),
      kind: text('an OpenSergo kind'),
      metadata,
      spec,
      status: {},
    },
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    additionalProperties: false,
    expected: 'an OpenSergo resource: a mapping with apiVersion, kind, metadata, spec',
  };
}

function fieldList(properties: Record<string, unknown>, required: readonly string[]): string {
  return Object.keys(properties)
    .map((name) => (required.includes(name) ? `${name} (required)` : name))
    .join(', ');
}
