// The Redis the Redis scenarios use: BENCH_REDIS_URL, else REDIS_URL, else 127.0.0.1:6379.
// Looked up once; when nothing answers, the Redis scenarios are left out (with one line).
import { connect } from 'node:net';

const url = process.env.BENCH_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379';

function answers(target) {
  const { hostname, port } = new URL(target);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 6379), hostname || '127.0.0.1');
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(String(data).startsWith('+PONG')));
  });
}

/** The Redis URL, or undefined when no Redis answers. */
export const REDIS_URL = (await answers(url)) ? url : undefined;
if (!REDIS_URL && !process.send) console.log(`# Redis scenarios left out: nothing answers at ${url} (set BENCH_REDIS_URL)`);

/** A key prefix unique to one server process, so runs and scenarios never share counters. */
export const redisPrefix = (id) => `opensergo-bench:${id}:${process.pid}:`;
