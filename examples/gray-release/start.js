// Full-link gray release on one machine: `npm run start:gray` from the repository root.
// Starts the backend (Fastify), the service's base and gray instances (Koa) and the gateway
// (Express), sends GET /index with and without X-User-Id: 12345, and prints which instance
// served each hop. Then keeps running for you to try; Ctrl+C stops everything.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { PORTS } from './topology.js';

const here = (file) => new URL(file, import.meta.url).pathname;
const children = [];
const start = async (file, env = {}) => {
  const child = fork(here(file), { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  const [message] = await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [`exit`])]);
  if (message !== 'ready') throw new Error(`${file} ${JSON.stringify(env)} did not start (is a port in use? see examples/gray-release/topology.js)`);
};
const stop = () => {
  for (const child of children) child.kill();
};
process.on('SIGINT', () => (stop(), process.exit(0)));
process.on('SIGTERM', () => (stop(), process.exit(0)));

const describe = (hop) => {
  const parts = [`${hop.hop} (${hop.framework} :${hop.port})`];
  if (hop.next) parts.push(...describe(hop.next));
  return parts;
};
const baggageAt = (hop) => (hop.next ? baggageAt(hop.next) : hop.baggage);

try {
  await start('backend.js');
  await start('service.js', { NAME: 'base' });
  await start('service.js', { NAME: 'gray' });
  await start('gateway.js');
  const base = `http://127.0.0.1:${PORTS.gateway}`;
  console.log(`\nFull-link gray release: gateway ${base} → service (base :${PORTS.serviceBase}, gray :${PORTS.serviceGray}) → backend (base :${PORTS.backend})\n`);
  for (const headers of [{ 'X-User-Id': '12345' }, {}, { 'X-User-Id': '54321' }]) {
    const hops = await (await fetch(`${base}/index`, { headers })).json();
    const said = headers['X-User-Id'] ? `X-User-Id: ${headers['X-User-Id']}` : 'no X-User-Id';
    console.log(`GET /index (${said})\n  ${describe(hops).join('\n  → ')}\n  baggage at the backend: ${baggageAt(hops) ?? '(none)'}\n`);
  }
  console.log(`Try it yourself:
  curl -s -H 'X-User-Id: 12345' ${base}/index
  curl -s ${base}/index

Press Ctrl+C to stop.`);
} catch (error) {
  console.error(String(error));
  stop();
  process.exit(1);
}
