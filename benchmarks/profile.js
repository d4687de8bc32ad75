#!/usr/bin/env node
// Profiles one scenario's server under load (after a warm-up, so start-up is left out) and
// says where OpenSergo's time goes, per request.
//
//   node benchmarks/profile.js fastify combo          (8 s of load)
//   node benchmarks/profile.js express admit --seconds 15 --top 20
//
// Writes the .cpuprofile under benchmarks/results/ (open it in Chrome DevTools).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { attribute } from './lib/cpu-profile.js';
import { hammer } from './lib/load.js';
import { pin } from './lib/pin.js';
import { writeResults } from './lib/report.js';
import { scenariosFor } from './lib/scenarios.js';
import { startServer } from './lib/server-process.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '8' }, top: { type: 'string', default: '12' } },
});
const [framework = 'fastify', id = 'admit'] = positionals;
const scenario = scenariosFor(framework).find((s) => s.id === id);
if (!scenario) throw new Error(`no scenario ${framework}:${id}`);

const pinned = pin(process.pid, '1');
const server = await startServer(scenario, pinned ? { cpu: '0' } : {});
await hammer(server, 2);
await server.startProfile();
const run = await hammer(server, Number(opts.seconds));
const profile = await server.stopProfile();
await server.close();

const { totalMs, oursMicrosPerRequest, outer, inclusive, self } = attribute(profile, run.requests);
const top = Number(opts.top);
const list = (rows) => rows.slice(0, top).map((r) => `${r.microsPerRequest.toFixed(2).padStart(8)} µs  ${r.name}`).join('\n');
console.log(
  `${framework}:${id} — ${run.requests} requests, ${Math.round(run.rps)} req/s, ` +
    `server CPU ${run.cpuMicrosPerRequest.toFixed(1)} µs/req (profiler on), profile ${totalMs.toFixed(0)} ms`,
);
console.log(`\nOpenSergo on the request path (not the framework below next()): ${oursMicrosPerRequest.toFixed(2)} µs/request`);
console.log(list(outer));
console.log('\nInclusive, by OpenSergo function:');
console.log(list(inclusive));
console.log('\nSelf time, whole process:');
console.log(list(self));
const file = writeResults(`profile-${framework}-${id}`, { framework, id, requests: run.requests, oursMicrosPerRequest, outer, inclusive, self: self.slice(0, 50) });
writeFileSync(file.replace(/\.json$/, '.cpuprofile'), JSON.stringify(profile));
console.log(`\nSummary: ${file}\nProfile: ${file.replace(/\.json$/, '.cpuprofile')}`);
