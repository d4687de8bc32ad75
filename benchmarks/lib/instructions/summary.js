// Per-configuration figures from the windows measure.js wrote, and the table that prints them.
import { median, spread } from '../stats.js';
import { SCENARIO_ORDER, VARIANTS } from './variants.js';

/** Above this many runtime literal-property definitions per request, a repeat is in V8's slow mode (callgrind.js). */
const SLOW_MODE_CALLS = 5;

/**
 * Above this many JIT-compiler instructions per request, a window still ran code that was being
 * optimised (Express admitting: 13–17 k compiler instructions per request in its first two
 * windows, which read 1.5–4 k above the quiet ones). Such windows are left out of a repeat's
 * median when at least two quiet windows remain.
 */
const COMPILING = 1000;

/** The windows a repeat's median is taken over: the quiet ones, if there are two or more. */
function settled(ws) {
  const quiet = ws.filter((w) => w.compiler <= COMPILING);
  return quiet.length >= 2 ? quiet : ws;
}

/**
 * Rows (one per window) → per `variant:scenario`: `steady` (median over the repeats of each
 * repeat's median over its settled windows of instructions per request, GC and JIT compiler
 * excluded; windows with the compiler at work are left out, see `COMPILING`),
 * `spread` ((max − min) / median over the repeats), `gc`, `total`, and against the same
 * variant's `bare` and `noop` rows, `ratio` (bare ÷ this) and `beyondFloor` (this − noop).
 * Repeats in the slow JIT mode are left out when a normal repeat exists (and counted).
 */
export function summarise(rows) {
  const repeats = new Map();
  for (const r of rows) {
    const key = `${r.variant}:${r.scenario}`;
    if (!repeats.has(key)) repeats.set(key, new Map());
    const reps = repeats.get(key);
    if (!reps.has(r.rep)) reps.set(r.rep, []);
    reps.get(r.rep).push(r);
  }
  const out = {};
  for (const [key, reps] of repeats) {
    const perRep = [...reps.values()].map((all) => ({ all, ws: settled(all) })).map(({ all, ws }) => ({
      steady: median(ws.map((w) => w.steady)),
      compiling: all.length - ws.length,
      gc: median(ws.map((w) => w.gc)),
      total: median(ws.map((w) => w.total)),
      slow: all[all.length - 1].literalRuntimeCalls > SLOW_MODE_CALLS,
      statuses: all.reduce((acc, w) => {
        for (const [s, c] of Object.entries(w.statuses)) acc[s] = (acc[s] ?? 0) + c;
        return acc;
      }, {}),
    }));
    const normal = perRep.filter((r) => !r.slow);
    const used = normal.length ? normal : perRep;
    const [variant, scenario] = key.split(':');
    out[key] = {
      variant,
      scenario,
      steady: median(used.map((r) => r.steady)),
      spread: spread(used.map((r) => r.steady)),
      values: perRep.map((r) => r.steady),
      gc: median(used.map((r) => r.gc)),
      total: median(used.map((r) => r.total)),
      slowRepeats: perRep.length - normal.length,
      compilingWindows: perRep.reduce((n, r) => n + r.compiling, 0),
      statuses: Object.assign({}, ...perRep.map((r) => r.statuses)),
    };
  }
  for (const s of Object.values(out)) {
    const bare = out[`${s.variant}:bare`];
    const floor = out[`${s.variant}:noop`];
    if (bare) s.ratio = bare.steady / s.steady;
    if (bare) s.beyondBare = s.steady - bare.steady;
    if (floor) s.beyondFloor = s.steady - floor.steady;
  }
  return out;
}

const k = (x) => (x / 1000).toFixed(1);
const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x)).toLocaleString('en')}`;

/** The summary as a Markdown table, in variant and scenario order. */
export function table(summary) {
  const keys = Object.keys(summary).sort((a, b) => {
    const [va, sa] = a.split(':');
    const [vb, sb] = b.split(':');
    const vs = Object.keys(VARIANTS);
    return vs.indexOf(va) - vs.indexOf(vb) || SCENARIO_ORDER.indexOf(sa) - SCENARIO_ORDER.indexOf(sb);
  });
  const lines = [
    '| config | k instructions/request (excl. GC, JIT) | spread over repeats | per repeat | × bare | beyond the floor (noop) | beyond bare | GC k/req | statuses |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const key of keys) {
    const s = summary[key];
    const statuses = Object.keys(s.statuses).sort().join(' ');
    lines.push(
      `| ${key} | ${k(s.steady)} | ${(100 * s.spread).toFixed(2)}% | ${s.values.map(k).join(', ')}${s.slowRepeats ? ` (${s.slowRepeats} in slow mode, left out)` : ''}${s.compilingWindows ? ` (${s.compilingWindows} compiling window${s.compilingWindows > 1 ? 's' : ''} left out)` : ''} ` +
        `| ${s.ratio?.toFixed(3) ?? ''} | ${s.beyondFloor !== undefined && s.scenario !== 'noop' && s.scenario !== 'bare' ? signed(s.beyondFloor) : ''} ` +
        `| ${s.beyondBare !== undefined && s.scenario !== 'bare' ? signed(s.beyondBare) : ''} | ${k(s.gc)} | ${statuses} |`,
    );
  }
  return lines.join('\n');
}
