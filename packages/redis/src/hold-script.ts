import { script } from './scripts.js';

/**
 * Up to this many permits, a Global concurrency limit asks Redis for each permit (`acquire`),
 * so no instance ever sits on a permit another one needs. Above it each instance holds a
 * block of permits (`HOLD`) and hands them out locally.
 */
export const EXACT_PERMITS_MAX = 100;

/** Whether a Global concurrency limit of this size holds permits in blocks. */
export const holdsBlocks = (maxConcurrency: number): boolean => maxConcurrency > EXACT_PERMITS_MAX;

/**
 * Permits held in blocks. KEYS[1]: sorted set of holders (instance member prefix) scored by
 * the expiry of their hold (Redis ms); KEYS[2]: hash of holder → permits held, and `t`, the
 * sum. ARGV: max, lease ms, holder, the count it wants to hold, and the count it has in use
 * (requests really running, never taken away).
 *
 * Holds of holders that stopped renewing (dead processes) are dropped first. A holder asking
 * for more gets what fits under max; asking for less gives the rest back at once. Returns the
 * count it now holds: at least `in use` (a hold that lapsed while Redis was away is put back,
 * its requests really are running), and never more than max allows otherwise.
 */
export const HOLD = script(
  'hold',
  `
local holders, held = KEYS[1], KEYS[2]
local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local id = ARGV[3]
local want = tonumber(ARGV[4])
local using = tonumber(ARGV[5])
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', holders, '-inf', fmt(now))
if #expired > 0 then
  for _, gone in ipairs(expired) do
    local count = tonumber(redis.call('HGET', held, gone)) or 0
    redis.call('HDEL', held, gone)
    redis.call('HINCRBY', held, 't', -count)
  end
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', fmt(now))
end
local mine = tonumber(redis.call('HGET', held, id)) or 0
local total = tonumber(redis.call('HGET', held, 't')) or 0
local grant = want
if want > mine then grant = math.min(want, mine + math.max(0, max - total)) end
grant = math.max(grant, using)
if grant ~= mine then redis.call('HINCRBY', held, 't', grant - mine) end
if grant > 0 then
  redis.call('HSET', held, id, grant)
  redis.call('ZADD', holders, fmt(now + lease), id)
else
  redis.call('HDEL', held, id)
  redis.call('ZREM', holders, id)
end
redis.call('PEXPIRE', holders, lease + 1000)
redis.call('PEXPIRE', held, lease + 1000)
return grant
`,
);
