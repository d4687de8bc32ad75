// Console tables and the results file.
import { mkdirSync, writeFileSync } from 'node:fs';

const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
/** `n` with its sign (`+1.5`, `-0.3`), or `–` when not a number. */
export const signed = (n, digits = 1) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '–');

const range = (r) => `${fixed(r.q1, 2)}–${fixed(r.q3, 2)}`;

function verdict(line) {
  const t = line.target;
  if (!t) return '';
  const what = t.against === 'admit' ? `≥ ${t.min} × admitting` : `≥ ${t.min}`;
  const vs = t.against === 'admit' ? ` (${fixed(t.value.median, 3)})` : '';
  return `${what}: ${t.verdict}${vs}; CPU: ${t.cpuVerdict}`;
}

function note(line) {
  const notes = [];
  if (line.blocks) notes.push(`handler does not run (${fixed(line.non2xxShare * 100, 1)}% refused)`);
  if (line.notEnforced.length) notes.push(`⚠ ${line.notEnforced.map((w) => w.split(' is ')[0]).join(', ')} not enforced by this build`);
  if (line.errors) notes.push(`${line.errors} socket errors`);
  if (line.id === 'many') notes.push(`start-up ${(line.startupMs / 1000).toFixed(1)} s`);
  return notes.join('; ');
}

/**
 * Prints one framework's table: req/s (median), ratio to bare with its interquartile range,
 * added µs/request, server CPU µs/request and its ratio (bare CPU / variant CPU, so higher
 * is better, as for req/s), the target verdicts and notes.
 */
export function printTable(framework, lines) {
  const rows = [['scenario', 'req/s', '× bare', 'IQR', '+µs/req', 'CPU µs/req', 'CPU × bare', 'IQR', 'target', 'note']];
  for (const l of lines) {
    rows.push([
      l.label,
      fixed(l.rps, 0),
      fixed(l.ratio.median, 3),
      l.id === 'bare' && !l.baseline ? '' : range(l.ratio),
      l.id === 'bare' && !l.baseline ? '' : signed(l.addedMicros),
      fixed(l.cpuMicros, 1),
      fixed(l.cpuRatio.median, 3),
      l.id === 'bare' && !l.baseline ? '' : range(l.cpuRatio),
      verdict(l),
      note(l),
    ]);
  }
  console.log(`\n## ${framework}`);
  printRows(rows, [1, 2, 3, 4, 5, 6, 7]);
}

/**
 * Prints `rows` (the first is the header) as aligned columns with a rule under the header;
 * the columns in `numeric` are right-aligned.
 * @param {string[][]} rows
 * @param {number[]} numeric column indexes
 */
export function printRows(rows, numeric) {
  const right = new Set(numeric);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/**
 * Writes `results` as JSON to `benchmarks/results/<name>-<timestamp>.json` and returns the path.
 * @param {string} name
 * @param {object} results
 */
export function writeResults(name, results) {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, dir);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file.pathname;
}
