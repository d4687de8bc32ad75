import { integer, list, mapOf, object, oneOf, resource, selector, stringOrNumber, text, type Schema } from './common.js';

const MATCH_TYPES = ['header', 'path', 'query', 'param', 'method', 'cookie'] as const;
const CONDITIONS = ['==', '!=', 'prefix', 'suffix', 'contains', 'regex', 'exists'] as const;

/** TrafficLabelRule (the launch post's shape). */
export const trafficLabelRule: Schema = resource(
  object(
    {
      selector,
      trafficLabel: text('a non-empty traffic label such as "gray"'),
      match: list(
        object(
          {
            type: oneOf(MATCH_TYPES),
            key: text('a header, query or cookie name'),
            condition: oneOf(CONDITIONS),
            value: stringOrNumber('a string or a number (quote true/false: "true")'),
          },
          ['type', 'condition'],
        ),
        'a list of at least one match condition ({ type, key, condition, value })',
      ),
    },
    ['trafficLabel', 'match'],
  ),
);

/** WorkloadLabelRule. */
export const workloadLabelRule: Schema = resource(
  object(
    {
      workloadLabels: list(text('a non-empty label'), 'a list of at least one label'),
      selector: mapOf(
        stringOrNumber('a label value (string)'),
        'a mapping of at least one workload label to its value, e.g. { app: my-app }',
        1,
      ),
    },
    ['workloadLabels', 'selector'],
  ),
);

/** Istio's StringMatch: exactly one of exact, prefix, regex. */
const stringMatch: Schema = {
  type: 'object',
  properties: {
    exact: stringOrNumber(),
    prefix: stringOrNumber(),
    regex: text('a regular expression'),
  },
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  expected: 'a string match with exactly one of exact, prefix, regex',
};

const matchesByName = (what: string): Schema =>
  mapOf(stringMatch, `a mapping of ${what} names to string matches ({ exact | prefix | regex })`);

const destination: Schema = object(
  {
    host: text('a host name'),
    subset: text('a subset (workload label) name'),
    port: {
      type: ['integer', 'object'],
      minimum: 1,
      maximum: 65535,
      properties: { number: integer(1, 65535, 'a port number from 1 to 65535') },
      required: ['number'],
      additionalProperties: false,
      expected: 'a port number from 1 to 65535, or { number: <port> }',
    },
    fallback: object({ host: text('a host name'), subset: text('a subset (workload label) name') }),
  },
  ['host'],
);

/** TrafficRouter: the subset of Istio's VirtualService we implement. */
export const trafficRouter: Schema = resource(
  object(
    {
      selector,
      hosts: list(text('a host name'), 'a list of at least one host'),
      http: list(
        object(
          {
            name: text('a route name'),
            match: {
              type: 'array',
              items: object({
                name: text('a match name'),
                uri: stringMatch,
                method: stringMatch,
                headers: matchesByName('header'),
                queryParams: matchesByName('query parameter'),
                withoutHeaders: matchesByName('header'),
                sourceLabels: mapOf(stringOrNumber('an attribute value (string)'), 'a mapping of workload attributes to values, e.g. { version: v1 }'),
                ignoreUriCase: { type: 'boolean', expected: 'true or false' },
              }),
              expected: 'a list of request matches (ORed)',
            },
            route: list(
              object({ destination, weight: integer(0, undefined, 'a whole-number weight ≥ 0') }, ['destination']),
              'a list of at least one { destination, weight }',
            ),
          },
          ['route'],
        ),
        'a list of at least one HTTP route ({ match, route })',
      ),
    },
    ['hosts', 'http'],
  ),
);
