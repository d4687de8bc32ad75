import { SlidingWindow } from '@opensergo/core';
import { script } from './scripts.js';

/** Local admissions remembered for reconciling Redis at recovery; past this, the oldest are dropped. */
const MAX_REMEMBERED = 10_000;

/**
 * Adds a recovering instance's local admissions to the admission log, at the Redis times they
 * happened: ARGV window µs, member token, then each admission's age in µs (now − its time,
 * measured on the instance's own clock, so no clock has to agree with Redis). Admissions
 * already out of the window are skipped. Returns the count in the window.
 */
export const SEED = script(
  'seed',
  `
local key = KEYS[1]
local window = tonumber(ARGV[1])
local now = now_us()
local members = {}
for i = 3, #ARGV do
  local age = tonumber(ARGV[i])
  if age < window then
    members[#members + 1] = fmt(now - age)
    members[#members + 1] = ARGV[2] .. ':' .. (i - 2)
  end
end
for i = 1, #members, 1000 do redis.call('ZADD', key, unpack(members, i, math.min(#members, i + 999))) end
if #members > 0 then redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - window))
return redis.call('ZCARD', key)
`,
);

/**
 * The local side of a Global rate limit: what this instance admits when its key's shard is
 * unavailable, and how it hands over in both directions without admitting a window twice.
 *
 * - The window records every admission of this instance, global or local.
 * - Going local, it starts from the instance's share of the global count it last saw
 *   (count / instances, as admissions at the time of that reply), not only from its own
 *   admissions: another instance may have admitted most of the window.
 * - Coming back, its local admissions still in the window are written to Redis (`SEED`),
 *   and for one window it also keeps to its local share: other instances may still be
 *   local, admitting their shares, which Redis does not know yet.
 */
export class LocalShare {
  readonly window: SlidingWindow;
  /** Deciding locally since the last global decision. */
  local = false;
  private lastSeen: { at: number; count: number } | undefined;
  private admittedLocally: number[] = [];
  private settlingUntil = -Infinity;

  constructor(private readonly windowMs: number) {
    this.window = new SlidingWindow(windowMs);
  }

  /** A global reply at `at` said the window holds `count` admissions (all instances). */
  saw(at: number, count: number): void {
    this.lastSeen = { at, count };
  }

  /** Admits one locally within this instance's share (threshold / instances); returns whether it did. */
  admit(now: number, threshold: number, instances: number): boolean {
    if (!this.local) this.goLocal(instances);
    if (!this.window.tryAdmit(now, threshold / instances)) return false;
    if (this.admittedLocally.push(now) > MAX_REMEMBERED) this.admittedLocally.shift();
    return true;
  }

  /**
   * The key's shard is available again (since `sinceMs`): the ages (µs) of the local
   * admissions still in the window, for `SEED`; until a window after the shard came back,
   * `settling` caps this instance at its share.
   */
  recover(now: number, sinceMs: number): number[] {
    this.local = false;
    this.settlingUntil = now + this.windowMs - sinceMs;
    const ages = this.admittedLocally.filter((at) => now - at < this.windowMs).map((at) => Math.round((now - at) * 1000));
    this.admittedLocally = [];
    return ages;
  }

  /** Whether one more admission now (`waiting` already asked) would take this instance past its share while settling. */
  settling(now: number, waiting: number, threshold: number, instances: () => number): boolean {
    return now < this.settlingUntil && this.window.count(now) + waiting + 1 > threshold / Math.max(1, instances());
  }

  private goLocal(instances: number): void {
    this.local = true;
    const seen = this.lastSeen;
    if (seen === undefined) return;
    // Counted at the time of that reply: they leave the window no earlier than the real ones.
    const missing = Math.ceil(seen.count / instances) - this.window.count(seen.at);
    for (let i = 0; i < missing; i++) this.window.tryAdmit(seen.at, Infinity);
  }
}
