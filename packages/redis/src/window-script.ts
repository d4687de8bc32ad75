import { RATE_ARGS, script } from './scripts.js';

/**
 * Up to this many admissions per window, a Global rate limit keeps the exact admission log
 * (a sorted set, one member per admission). Above it the window is counted in buckets
 * (`WINDOW`): O(1) per call, a few kilobytes per key whatever the rate.
 */
export const EXACT_LOG_MAX = 500;

/** Whether a Global rate limit of this threshold counts its window in buckets. */
export const usesBuckets = (threshold: number): boolean => Math.floor(threshold) > EXACT_LOG_MAX;

/** Buckets per window (fewer when a bucket would be shorter than 1 ms). */
export const BUCKETS = 100;

/**
 * Sliding window counted in buckets, for hot keys. KEYS[1]: a hash with one field per bucket
 * (its index, `floor(Redis time µs / width)`, width = window / BUCKETS) holding the admissions
 * recorded in it, and `h` (the newest bucket seen), `t` (the sum of every bucket still
 * counted), `m` (the highest bucket written). ARGV as `rate-limit`'s: threshold, window (µs),
 * n requests, token (unused here), reserve wanted, lease (µs), unused reserved admissions to
 * hand back (their bucket, from, to; '' for none); then the live instance count, and a Redis
 * time in µs to use instead of `TIME` ('' in production; tests and simulations give one).
 *
 * The count is conservative: it includes the whole of the oldest bucket a window can touch
 * (`span` buckets before the current one), so no span of the window ever holds more than the
 * threshold. Direct admissions go in the current bucket; reserved ones in the bucket of the
 * lease's end, the latest moment they can be used, so each stays counted for a whole window
 * after its real use. Unlike `rate-limit`, reservations go on up to the limit, each at most
 * the free room divided among the live instances: a saturated hot key then costs one call
 * per lease per instance, not one per batch. Returns {admitted, now µs, retry ms, reserved,
 * count in the window, bucket of the reserved}.
 */
export const WINDOW = script(
  'window',
  `
${RATE_ARGS}
local instances = math.max(1, tonumber(ARGV[10]) or 1)
local now = now_us()
if ARGV[11] and ARGV[11] ~= '' then now = tonumber(ARGV[11]) end
local width = math.max(1000, math.ceil(window / ${BUCKETS}))
local span = math.ceil(window / width)
local state = redis.call('HMGET', key, 'h', 't', 'm')
local head, total, top = tonumber(state[1]), tonumber(state[2]) or 0, tonumber(state[3])
if head and now < head * width then now = head * width end
local k = math.floor(now / width)
if head and k > head then
  if top == nil or k - span > top then
    redis.call('DEL', key)
    total, top = 0, nil
  else
    for i = head - span, math.min(k - span - 1, top) do
      local field = fmt(i)
      local v = tonumber(redis.call('HGET', key, field))
      if v then
        total = total - v
        redis.call('HDEL', key, field)
      end
    end
  end
end
if ARGV[7] ~= '' then
  local b = tonumber(ARGV[7])
  if b >= k - span then
    local field = fmt(b)
    local back = math.min(tonumber(redis.call('HGET', key, field)) or 0, tonumber(ARGV[9]) - tonumber(ARGV[8]) + 1)
    if back > 0 then
      redis.call('HINCRBY', key, field, -back)
      total = total - back
    end
  end
end
local admit = math.max(0, math.min(n, limit - total))
local reserve = math.max(0, math.min(want, math.ceil((limit - total - admit) / instances)))
local kr = math.floor((now + lease) / width)
if admit > 0 then
  redis.call('HINCRBY', key, fmt(k), admit)
  top = math.max(top or k, k)
end
if reserve > 0 then
  redis.call('HINCRBY', key, fmt(kr), reserve)
  top = math.max(top or kr, kr)
end
total = total + admit + reserve
redis.call('HSET', key, 'h', fmt(k), 't', fmt(total), 'm', fmt(top or k))
if admit + reserve > 0 then redis.call('PEXPIRE', key, math.ceil((window + lease) / 1000) + 1000) end
local retry = 0
if total >= limit then
  local i = k - span
  while i < (top or k) do
    local v = tonumber(redis.call('HGET', key, fmt(i)))
    if v and v > 0 then break end
    i = i + 1
  end
  retry = math.max(1, math.ceil(((i + span + 1) * width - now) / 1000))
end
return { admit, now, retry, reserve, total, kr }
`,
);

/**
 * `seed` for a bucketed window: adds a recovering instance's local admissions (ARGV: window
 * µs, token (unused), then each admission's age in µs) to the buckets of the Redis times they
 * happened, those already out of the window skipped. A bucket the window has already passed
 * over is never written again (its count would never be dropped): such an admission goes in
 * the oldest bucket still counted, which only counts it longer. Returns the count.
 */
export const SEED_WINDOW = script(
  'seed-window',
  `
local key = KEYS[1]
local window = tonumber(ARGV[1])
local now = now_us()
local width = math.max(1000, math.ceil(window / ${BUCKETS}))
local span = math.ceil(window / width)
local state = redis.call('HMGET', key, 'h', 't', 'm')
local k = math.floor(now / width)
local head, total, top = tonumber(state[1]) or k, tonumber(state[2]) or 0, tonumber(state[3]) or k
local added = {}
for i = 3, #ARGV do
  local age = tonumber(ARGV[i])
  if age < window then
    local b = math.max(math.floor((now - age) / width), head - span)
    added[b] = (added[b] or 0) + 1
    total = total + 1
    top = math.max(top, b)
  end
end
for b, count in pairs(added) do redis.call('HINCRBY', key, fmt(b), count) end
redis.call('HSET', key, 'h', fmt(head), 't', fmt(total), 'm', fmt(top))
redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
return total
`,
);
