import { createHash } from 'node:crypto';

/**
 * The Lua scripts. Each decision is one script call on one key, so it is atomic, costs one
 * round trip, and works on Redis Cluster (the key carries a hash tag anyway, see keys.ts).
 *
 * Time is Redis `TIME`, never the caller's clock, so hosts whose clocks differ agree.
 * Numbers are formatted with `%d` before they go back to Redis: Lua 5.1 would print a
 * 16-digit microsecond timestamp as `%.14g` and lose its last digits.
 */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export function script(name: string, body: string): Script {
  const source = `${PRELUDE}\n${body.trim()}\n`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

// Redis < 5 replicates scripts verbatim unless told otherwise, which forbids writes after TIME.
const PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function fmt(x) return string.format('%d', x) end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function now_ms() return math.floor(now_us() / 1000) end
local function zadd_all(key, score, members, first, last, prefix)
  local i = first
  while i <= last do
    local args = {}
    local stop = math.min(last, i + 499)
    for j = i, stop do
      args[#args + 1] = score
      args[#args + 1] = prefix .. members(j)
    end
    redis.call('ZADD', key, unpack(args))
    i = stop + 1
  end
end`.trim();

/** The arguments `rate-limit` and `window` share (the guard sends both the same way). */
export const RATE_ARGS = `
local key = KEYS[1]
local limit = math.floor(tonumber(ARGV[1]))
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local want = tonumber(ARGV[5])
local lease = tonumber(ARGV[6])
`.trim();

/**
 * Sliding-window admission log. KEYS[1]: sorted set, one member per admission scored by its
 * Redis time in microseconds. ARGV: threshold, window (µs), n requests, member token,
 * reserve wanted, lease (µs), and a range of the caller's unused reserved members to drop
 * (token, from, to; token '' for none).
 *
 * Admits min(n, floor(threshold) - in window). Then, only while the window is at most half
 * full, it may reserve up to `reserve` more admissions for the caller to hand out locally
 * within `lease`: those are scored at now + lease, the latest moment they can be used, so
 * each stays counted for a whole window after its real use and the bound still holds.
 * Returns {admitted, now µs, retry ms, reserved, count in the window}; retry > 0 says the
 * window is now full and when the next admission can fit.
 */
export const RATE_LIMIT = script(
  'rate-limit',
  `
${RATE_ARGS}
local now = now_us()
if ARGV[7] ~= '' then
  local unused = {}
  for j = tonumber(ARGV[8]), tonumber(ARGV[9]) do unused[#unused + 1] = ARGV[7] .. ':' .. j end
  for i = 1, #unused, 500 do redis.call('ZREM', key, unpack(unused, i, math.min(#unused, i + 499))) end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - window))
local count = redis.call('ZCARD', key)
local admit = math.max(0, math.min(n, limit - count))
local reserve = math.max(0, math.min(want, math.floor(limit / 2) - count - admit))
if admit > 0 then zadd_all(key, fmt(now), function(j) return ':' .. j end, 1, admit, ARGV[4]) end
if reserve > 0 then zadd_all(key, fmt(now + lease), function(j) return ':' .. j end, admit + 1, admit + reserve, ARGV[4]) end
count = count + admit + reserve
if admit + reserve > 0 then redis.call('PEXPIRE', key, math.ceil((window + lease) / 1000) + 1000) end
local retry = 0
if count >= limit then
  local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  retry = math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000))
end
return { admit, now, retry, reserve, count }
`,
);

/**
 * Concurrency permits as leases. KEYS[1]: sorted set of permit ids scored by lease expiry
 * (Redis ms). ARGV: max, lease ms, then the ids asking. Expired leases (a dead process's)
 * are dropped first. Returns how many of the ids (in order) got a permit.
 */
export const ACQUIRE = script(
  'acquire',
  `
local key = KEYS[1]
local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now))
local admit = math.min(#ARGV - 2, max - redis.call('ZCARD', key))
if admit <= 0 then return 0 end
zadd_all(key, fmt(now + lease), function(j) return ARGV[j + 2] end, 1, admit, '')
redis.call('PEXPIRE', key, lease + 1000)
return admit
`,
);

/**
 * Extends the leases of permits still in flight (ARGV: lease ms, then ids). A lease that
 * lapsed while Redis was unreachable is put back: its request really is still running.
 */
export const RENEW = script(
  'renew',
  `
local key = KEYS[1]
local lease = tonumber(ARGV[1])
local now = now_ms()
zadd_all(key, fmt(now + lease), function(j) return ARGV[j + 1] end, 1, #ARGV - 1, '')
redis.call('PEXPIRE', key, lease + 1000)
return #ARGV - 1
`,
);

/**
 * Instance registry for GlobalToLocal and the fallback's fair share. KEYS[1]: sorted set of
 * instance ids scored by last heartbeat (Redis ms). ARGV: this id, ttl ms. Returns {live
 * count, 1 when this id was not there (first beat, or the set was lost: a restart, a flush)}.
 */
export const HEARTBEAT = script(
  'heartbeat',
  `
local key = KEYS[1]
local ttl = tonumber(ARGV[2])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - ttl))
local added = redis.call('ZADD', key, fmt(now), ARGV[1])
redis.call('PEXPIRE', key, ttl + 1000)
return { redis.call('ZCARD', key), added }
`,
);

/**
 * A shard's health probe: answers when the node runs scripts (no key: any node may run it).
 * With a key (`probeKey`, beside a key that failed) it also writes, as every decision does, so
 * a node that answers but refuses writes (out of memory under `noeviction`, a read-only
 * replica, MISCONF) is not taken for back, and its keys do not flap between Redis and local.
 */
export const PROBE = script(
  'probe',
  `
if #KEYS > 0 then redis.call('SET', KEYS[1], '1', 'PX', 1000) end
return 1
`,
);

export const ALL_SCRIPTS: readonly Script[] = [RATE_LIMIT, ACQUIRE, RENEW, HEARTBEAT, PROBE];
