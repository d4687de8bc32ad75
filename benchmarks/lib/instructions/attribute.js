// Where a window's instructions go, by JS function: callgrind names JIT code only by address;
// V8's perf map (`node --perf-basic-prof` writes /tmp/perf-<pid>.map, one "start size name"
// line per compiled function) names it. Natives and builtins keep their own names.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { category, JIT_CODE, parseDump } from './callgrind.js';

/** Where a JS function comes from, by the script path in its perf-map name. */
function origin(name) {
  const ours = /packages\/(\w+)\/dist\//.exec(name);
  if (ours) return `opensergo/${ours[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(name);
  if (pkg) return pkg[1];
  if (/node:|internal\//.test(name)) return 'node (lib)';
  if (/benchmarks\//.test(name)) return 'benchmark server';
  if (/RegExp/i.test(name)) return 'regexp code';
  return 'other JIT code';
}

/**
 * Self instructions per request of a dump, by JS function, by origin of the JS code, and by
 * native function.
 * @param {string} dumpFile callgrind dump (.gz allowed)
 * @param {string} mapFile perf map (.gz allowed)
 * @param {number} per requests in the dump's window
 */
export function attribute(dumpFile, mapFile, per) {
  const { fns, total } = parseDump(dumpFile);
  const raw = readFileSync(mapFile);
  const entries = (mapFile.endsWith('.gz') ? gunzipSync(raw) : raw)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line, i) => {
      const [start, size, ...name] = line.split(' ');
      return { start: parseInt(start, 16), size: parseInt(size, 16), name: name.join(' '), i };
    })
    .sort((a, b) => a.start - b.start || a.i - b.i);
  // The newest entry covering an address wins (code space is reused after a collection).
  const find = (addr) => {
    let lo = 0;
    let hi = entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid].start <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    let best;
    for (let j = hi; j >= 0 && j > hi - 200; j--) {
      const e = entries[j];
      if (addr >= e.start && addr < e.start + e.size && (!best || e.i > best.i)) best = e;
    }
    return best;
  };
  const add = (map, key, ir) => map.set(key, (map.get(key) ?? 0) + ir / per);
  const js = new Map();
  const natives = new Map();
  const byOrigin = new Map();
  for (const f of fns) {
    const c = category(f);
    if (c === JIT_CODE) {
      const e = find(parseInt(/^0x([0-9a-f]+)/.exec(f.name)?.[1] ?? '0', 16));
      add(js, e?.name ?? '(JIT code not in the perf map)', f.self);
      add(byOrigin, e ? origin(e.name) : 'unnamed', f.self);
    } else {
      add(natives, `${f.name.replace(/\(anonymous namespace\)/g, 'anon').replace(/\(.*$/, '').slice(0, 110)}  [${c}]`, f.self);
    }
  }
  const sorted = (m) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
  return { total: total / per, byOrigin: sorted(byOrigin), js: sorted(js), natives: sorted(natives) };
}

const fmt = (x) => Math.round(x).toLocaleString('en').padStart(8);

/** Text of one attribution (`b` alone) or of the difference b − a, `top` rows per section. */
export function formatAttribution(b, a, top = 25) {
  const lines = [a ? `total ${fmt(a.total)} → ${fmt(b.total)} (${fmt(b.total - a.total)}) per request` : `total ${fmt(b.total)} per request`];
  for (const [title, key] of [
    ['JIT code by origin', 'byOrigin'],
    ['JS functions', 'js'],
    ['native and builtin functions', 'natives'],
  ]) {
    lines.push('', `${title} (self instructions per request${a ? ': difference, before, after' : ''}):`);
    const names = new Set([...Object.keys(b[key]), ...Object.keys(a?.[key] ?? {})]);
    const rows = [...names].map((n) => [n, (b[key][n] ?? 0) - (a?.[key][n] ?? 0), a?.[key][n] ?? 0, b[key][n] ?? 0]);
    rows.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
    for (const [n, d, av, bv] of rows.slice(0, top)) lines.push(a ? `${fmt(d)} ${fmt(av)} ${fmt(bv)}  ${n.slice(0, 130)}` : `${fmt(d)}  ${n.slice(0, 140)}`);
  }
  return lines.join('\n');
}
