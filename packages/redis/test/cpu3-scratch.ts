import { createEngine, requestView } from '@opensergo/core';
import { createRedisStore } from '@opensergo/redis';
const rules = `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: g }
spec: { metricType: RequestAmount, limitMode: Global, threshold: 1000000000, statDuration: 1s }
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: r }
spec: { targets: [{ targetResourceName: /foo }], strategies: [{ name: g }] }`;
const store = createRedisStore({ url: 'redis://127.0.0.1:6379' }, { keyPrefix: `cpu:${process.pid}:`, logger: { info() {}, warn: console.warn, error: console.error } });
await store.ready();
const engine = createEngine({ rules, store, app: 'cpu', logger: false });
const view = () => requestView('GET', '/foo', { host: 'x' });
const work = () => { let x = 0; for (let i = 0; i < 3000; i++) x += Math.sqrt(i); return x; }; // ~ a handler
for (let round = 0; round < 2; round++) {
  let n = 0; const cpu0 = process.cpuUsage(); const t0 = performance.now();
  const loop = async () => { while (performance.now() - t0 < 1500) { await engine.enter(view()); work(); await new Promise((r) => setImmediate(r)); n++; } };
  await Promise.all(Array.from({ length: 10 }, loop));
  const cpu = process.cpuUsage(cpu0);
  const calls = Number((await (await import('ioredis')).default.prototype.constructor.name) ? 0 : 0);
  console.log('decisions', n, 'cpu µs/decision', ((cpu.user + cpu.system) / n).toFixed(2), 'wall µs', ((performance.now() - t0) * 1000 / n).toFixed(1));
}
// baseline: same loop without the engine
let n = 0; const cpu0 = process.cpuUsage(); const t0 = performance.now();
const loop = async () => { while (performance.now() - t0 < 1500) { work(); await new Promise((r) => setImmediate(r)); n++; } };
await Promise.all(Array.from({ length: 10 }, loop));
const cpu = process.cpuUsage(cpu0);
console.log('baseline', n, 'cpu µs/iter', ((cpu.user + cpu.system) / n).toFixed(2));
await engine.close(); await store.close();
