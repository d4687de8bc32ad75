import { createHash } from 'node:crypto';
import type { RequestContext } from './engine.js';
import type { Binding } from './matching/resource-index.js';
import type { RequestView } from './request-view.js';

/** The field names, lower-case as adapters write them. */
export const RATELIMIT_POLICY = 'ratelimit-policy';
export const RATELIMIT = 'ratelimit';

/** A Structured Fields String (RFC 9651): quoted, `\` and `"` escaped, printable ASCII only. */
function sfString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code <= 0x7e && char.length === 1) out += char;
    else out += '_';
  }
  return `${out}"`;
}

/**
 * A per-client limit's partition key as a Byte Sequence (`:base64:`): the first 12 bytes of the
 * value's SHA-256, so that a client can tell its budgets apart without the server echoing what
 * it was counted by (an API key, a cookie) into responses, proxies and logs.
 */
function partitionKey(value: string): string {
  return `:${createHash('sha256').update(value).digest().subarray(0, 12).toString('base64')}:`;
}

/** Whole seconds, rounded up, so that a client waiting that long is never early. */
const seconds = (ms: number): number => Math.ceil(ms / 1000);

/**
 * The `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers-10) of the
 * enforced rate limits among `bindings`: one list member per strategy, named after it, with its
 * quota `q` per window `w` (seconds) and what is left of it, `r`, until `t` seconds from now,
 * when the oldest admission leaves the sliding window. `undefined` when none reports a quota
 * (no rate limit, one in dry run, or one kept by a shared store).
 *
 * @example
 * ```ts
 * rateLimitFields(route.bindings, clock.now());
 * // { 'ratelimit-policy': '"rate-limit-foo";q=10;w=1', ratelimit: '"rate-limit-foo";r=7;t=1' }
 * ```
 */
export function rateLimitFields(
  bindings: readonly Binding[],
  now: number,
  request: RequestView,
  context: RequestContext,
): Record<string, string> | undefined {
  let policy = '';
  let limit = '';
  for (const binding of bindings) {
    if (binding.dryRun || binding.guard.quota === undefined) continue;
    const quota = binding.guard.quota(now, request, context);
    if (quota === undefined) continue;
    const name = sfString(binding.stats.strategy);
    const separator = policy === '' ? '' : ', ';
    const pk = quota.partitionKey === undefined ? '' : `;pk=${partitionKey(quota.partitionKey)}`;
    policy += `${separator}${name};q=${quota.limit};w=${seconds(quota.windowMs)}${pk}`;
    limit += `${separator}${name};r=${quota.remaining};t=${seconds(quota.resetMs)}${pk}`;
  }
  return policy === '' ? undefined : { [RATELIMIT_POLICY]: policy, [RATELIMIT]: limit };
}
