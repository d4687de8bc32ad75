// The load generator: autocannon, run in this (the parent) process.
import autocannon from 'autocannon';
import { ROUTE } from './rules.js';

/** Load settings shared by every scenario. */
export const LOAD = { connections: 10, pipelining: 1 };

/**
 * Drives GET /bench on a loopback port for `seconds` and, if `server` is given, reads the
 * server's CPU time around the run.
 * @param {{ port: number, cpuMicros?: () => Promise<number> }} server
 * @param {number} seconds
 * @returns {Promise<{ rps: number, requests: number, non2xx: number, errors: number,
 *   p50Ms: number, p99Ms: number, cpuMicrosPerRequest: number | undefined }>}
 */
export async function hammer(server, seconds) {
  const cpuBefore = await server.cpuMicros?.();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${ROUTE}`,
    duration: seconds,
    ...LOAD,
  });
  const cpuAfter = await server.cpuMicros?.();
  const requests = result.requests.total;
  return {
    rps: requests / result.duration,
    requests,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuMicrosPerRequest: cpuBefore === undefined || !requests ? undefined : (cpuAfter - cpuBefore) / requests,
  };
}
