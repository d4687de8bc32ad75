import {
  duration,
  integer,
  list,
  number,
  object,
  oneOf,
  ratio,
  resource,
  selector,
  stringOrNumber,
  text,
  type Schema,
} from './common.js';

/** The kinds a `strategies[].kind` may name. */
export const STRATEGY_KINDS = [
  'RateLimitStrategy',
  'ThrottlingStrategy',
  'ConcurrencyLimitStrategy',
  'CircuitBreakerStrategy',
  'AdaptiveOverloadProtectionStrategy',
] as const;

const STATUS = 'an HTTP status code from 100 to 599';
/** 1xx are not final responses: a client sent one waits for the real answer (101 even switches protocols). */
const FALLBACK_STATUS = 'an HTTP status code from 200 to 599 (a 1xx status is not a final response)';

/** FaultToleranceRule. */
export const faultToleranceRule: Schema = resource(
  object(
    {
      selector,
      targets: list(
        object(
          { targetResourceName: text('a resource name of 1 to 1024 characters, e.g. "/foo" or "GET:/users/{id}"', 1024) },
          ['targetResourceName'],
        ),
        'a list of at least one { targetResourceName }',
      ),
      strategies: list(
        object({ name: text('the name of a strategy'), kind: oneOf(STRATEGY_KINDS) }, ['name']),
        'a list of at least one { name, kind? } strategy reference',
      ),
      fallbackAction: {
        type: ['string', 'object'],
        minLength: 1,
        properties: { name: text('the name of a fallback action'), kind: oneOf(['HttpRequestFallbackAction']) },
        required: ['name'],
        additionalProperties: false,
        expected: 'the name of a fallback action, or { name, kind? }',
      },
    },
    ['targets', 'strategies'],
  ),
);

/**
 * The per-client fields (`limitBy`, our extension: docs/per-client.md) of a strategy whose
 * overrides give `override` (a threshold, or for throttling an interval). Which `limitBy.type`
 * needs a `key`, and clientIp override values, are checked by the normaliser.
 */
function perClient(override: Record<string, Schema>): Record<string, Schema> {
  const fields = Object.keys(override).join(' or ');
  return {
    limitBy: object(
      {
        type: oneOf(['clientIp', 'header', 'query', 'cookie', 'trafficLabel']),
        key: text('a header, query parameter or cookie name'),
      },
      ['type'],
      'a mapping { type: clientIp | header | query | cookie | trafficLabel, key? }, e.g. { type: header, key: X-API-Key }',
    ),
    limitByOverrides: list(
      object({ value: stringOrNumber('the value this override is for'), ...override }, ['value', ...Object.keys(override)]),
      `a list of { value, ${fields} } overrides`,
      0,
    ),
    maxTrackedValues: integer(1, undefined, 'a whole number ≥ 1 (how many values are remembered at most)'),
  };
}

/** RateLimitStrategy. `statDuration` xor `statDurationSeconds` is checked by the normaliser. */
export const rateLimitStrategy: Schema = resource(
  object(
    {
      metricType: oneOf(['RequestAmount']),
      limitMode: oneOf(['Local', 'Global', 'GlobalToLocal']),
      threshold: number(0),
      statDuration: duration(),
      statDurationSeconds: integer(1, undefined, 'a whole number of seconds ≥ 1'),
      ...perClient({ threshold: number(0) }),
    },
    ['metricType', 'limitMode', 'threshold'],
  ),
);

/** ThrottlingStrategy. */
export const throttlingStrategy: Schema = resource(
  object(
    { minIntervalOfRequests: duration(), queueTimeout: duration(), ...perClient({ minIntervalOfRequests: duration() }) },
    ['minIntervalOfRequests', 'queueTimeout'],
  ),
);

/** ConcurrencyLimitStrategy. */
export const concurrencyLimitStrategy: Schema = resource(
  object(
    { maxConcurrency: integer(0), limitMode: oneOf(['Local', 'Global']), ...perClient({ threshold: integer(0) }) },
    ['maxConcurrency', 'limitMode'],
  ),
);

/** CircuitBreakerStrategy. `recoveryTimeout` xor `recoverTimeout` is checked by the normaliser. */
export const circuitBreakerStrategy: Schema = resource(
  object(
    {
      strategy: oneOf(['SlowRequestRatio', 'ErrorRequestRatio']),
      triggerRatio: ratio(),
      statDuration: duration(),
      recoveryTimeout: duration(),
      recoverTimeout: duration(),
      minRequestAmount: integer(0),
      slowConditions: object({ maxAllowedRt: duration() }, ['maxAllowedRt']),
      errorConditions: object({
        errorType: text('an error type name'),
        representation: text('an error description'),
        statusCodes: list(integer(100, 599, STATUS), `a list of at least one ${STATUS}`),
      }),
    },
    ['strategy', 'triggerRatio', 'statDuration', 'minRequestAmount'],
  ),
);

/** AdaptiveOverloadProtectionStrategy. `triggerThreshold` depends on `metricType` (normaliser). */
export const adaptiveOverloadProtectionStrategy: Schema = resource(
  object(
    {
      metricType: oneOf(['CpuPercentage', 'SystemLoad', 'EventLoopDelay']),
      triggerThreshold: {
        type: ['string', 'number'],
        expected: '"70%" (CpuPercentage), a load average (SystemLoad) or a duration (EventLoopDelay)',
      },
      adaptiveStrategy: oneOf(['NONE', 'BBR']),
    },
    ['metricType', 'triggerThreshold', 'adaptiveStrategy'],
  ),
);

/** HttpRequestFallbackAction. Header names and values are checked by the normaliser. */
export const httpRequestFallbackAction: Schema = resource(
  object(
    {
      behavior: oneOf(['ReturnProvidedResponse']),
      behaviorDesc: object(
        {
          responseStatusCode: integer(200, 599, FALLBACK_STATUS),
          responseContentBody: { type: 'string', expected: 'a string' },
          responseAdditionalHeaders: {
            type: 'array',
            items: object({ key: text('a header name'), value: stringOrNumber('a header value') }, ['key', 'value']),
            expected: 'a list of { key, value } headers',
          },
        },
        ['responseStatusCode'],
      ),
    },
    ['behavior', 'behaviorDesc'],
  ),
);
