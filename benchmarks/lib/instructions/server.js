// One benchmark server, run under valgrind by lib/instructions/measure.js: the same
// servers/<framework>.js `start()`, rule sets and silent logger as lib/server-child.js, without
// that child's IPC, GC observer and allocation counting (which would run inside the counted
// instructions).
//
//   node lib/instructions/server.js <variant> <scenario>     prints `READY <port>`; exits on SIGTERM
import { register } from 'node:module';
import { RULES } from '../rules.js';
import { scenariosFor } from '../scenarios.js';
import { VARIANTS } from './variants.js';

const [variantName, id] = process.argv.slice(2);
const variant = VARIANTS[variantName];
if (!variant || !id) {
  console.error('usage: node lib/instructions/server.js <variant> <scenario>');
  process.exit(2);
}
if (variant.redirect) register('./old-majors-hook.js', import.meta.url, { data: { redirect: variant.redirect } });

const scenario = scenariosFor(variant.framework).find((s) => s.id === id);
if (!scenario) throw new Error(`no scenario ${variant.framework}:${id}`);
const warnings = [];
const logger = { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
const rules = scenario.rules ? RULES[scenario.rules]() : undefined;
const { start } = await import(`../../servers/${variant.framework}.js`);
const server = await start(scenario, { rules, logger });
for (const w of warnings) console.error(`warning: ${w}`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
console.log(`READY ${server.port}`);
