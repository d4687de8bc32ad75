// What the Redis tests look at: log lines, a condition coming true, the busiest window.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '@opensergo/core';

/** A logger keeping every line, prefixed with its level. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`), error: (m) => void lines.push(`error ${m}`) };
}

/** Waits for `test` to hold, polling every 20 ms; fails the test after `ms`. */
export async function until(test: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The most admissions in any span of `window` ending in [from, to) (times in any unit and order). */
export function busiestWindow(times: readonly number[], window: number, from = -Infinity, to = Infinity): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - window) j++;
    if (sorted[i]! >= from && sorted[i]! < to) best = Math.max(best, i - j + 1);
  }
  return best;
}

/**
 * Polls an admission log (members scored by Redis µs) so none is missed though each lives one
 * window. A member that disappears before its window is over was handed back (a reserved
 * admission nobody used, see docs/redis.md) and is not an admission: it is left out.
 * `complete()` says whether the polls were never a window apart, so that none can be missed.
 */
export function recordAdmissions(redis: Redis | Cluster, key: string, windowUs = 1_000_000): { stop(): Promise<Map<string, number>>; complete(): boolean } {
  const seen = new Map<string, number>();
  const handedBack = new Set<string>();
  let running = true;
  // The log is complete only if no two reads were a window apart (a starved test process).
  let lastUs: number | undefined;
  let longestGapUs = 0;
  let previous = new Set<string>();
  const read = async (): Promise<void> => {
    const [flat, [sec, usec]] = await Promise.all([redis.zrange(key, 0, -1, 'WITHSCORES'), redis.time()]);
    const nowUs = Number(sec) * 1e6 + Number(usec);
    if (lastUs !== undefined) longestGapUs = Math.max(longestGapUs, nowUs - lastUs);
    lastUs = nowUs;
    const current = new Set<string>();
    for (let i = 0; i < flat.length; i += 2) {
      seen.set(flat[i]!, Number(flat[i + 1]));
      current.add(flat[i]!);
    }
    for (const member of previous) {
      if (!current.has(member) && nowUs < seen.get(member)! + windowUs - 20_000) handedBack.add(member);
    }
    previous = current;
  };
  // One more read after `stop()`: admissions of the last poll interval (after the read before
  // the stop) are in the log only, and a loop that stopped at its sleep would miss them.
  const loop = (async () => {
    while (running) {
      await read();
      await new Promise((r) => setTimeout(r, 100));
    }
    await read();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      for (const member of handedBack) seen.delete(member);
      return seen;
    },
    complete: () => longestGapUs < windowUs - 50_000,
  };
}

/** One command as MONITOR shows it: its arguments (the command first), the database and the caller (`lua` inside a script). */
export interface MonitoredCommand {
  readonly args: string[];
  readonly database: string;
  readonly source: string;
}

/**
 * Feeds every command Redis at `url` runs to `onCommand`, over a raw MONITOR connection of its
 * own. Not ioredis' `monitor()`: it sets its monitoring state a tick after MONITOR's `OK`, and
 * the first commands arriving in the same packet as that `OK` throw an uncaught "Command queue
 * state error" (seen on loaded runs).
 */
export async function monitorCommands(url: string, onCommand: (command: MonitoredCommand) => void): Promise<{ close(): void }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port || 6379), hostname);
  let buffered = '';
  let ready: (() => void) | undefined;
  const ok = new Promise<void>((resolve, reject) => {
    ready = resolve;
    socket.once('error', reject);
  });
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\r\n')) !== -1) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line === '+OK') ready?.();
      else if (line.startsWith('+')) {
        const parsed = parseMonitorLine(line);
        if (parsed) onCommand(parsed);
      }
    }
  });
  socket.on('error', () => {}); // closed under load or at the end: nothing more to feed
  socket.write('MONITOR\r\n');
  await ok;
  return { close: () => void socket.destroy() };
}

/** The C-like escapes Redis writes in a MONITOR line's quoted arguments (besides `\xHH`). */
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', '"': '"', '\\': '\\' };

/** `+1700000000.123456 [0 127.0.0.1:5555] "EVALSHA" "ab\"c"`: Redis quotes each argument with C-like escapes. */
function parseMonitorLine(line: string): MonitoredCommand | undefined {
  const open = line.indexOf('[');
  const close = line.indexOf(']', open);
  if (open === -1 || close === -1) return undefined;
  const [database = '', source = ''] = line.slice(open + 1, close).split(' ');
  const args: string[] = [];
  for (let i = close + 1; i < line.length; i++) {
    if (line[i] !== '"') continue;
    let arg = '';
    for (i++; i < line.length && line[i] !== '"'; i++) {
      if (line[i] !== '\\') arg += line[i];
      else if (line[i + 1] === 'x') {
        arg += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 3;
      } else arg += ESCAPES[line[++i]!] ?? line[i];
    }
    args.push(arg);
  }
  return { args, database, source };
}
