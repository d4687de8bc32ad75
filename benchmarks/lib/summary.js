// Turns the per-round samples of one framework into one line per scenario.
import { median, quantile, spread } from './stats.js';
import { targetFor } from './targets.js';

const stats = (values) => ({ median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) });

/**
 * Per-round ratios of a run against its baseline: its own `baseline` samples (paired mode,
 * taken at the same time) or the bare run's sample of the same round (sequential mode).
 * `rps`: variant / baseline; `cpu`: baseline CPU / variant CPU (higher is better, like rps).
 */
function relative(run, bare) {
  const base = run.baseline ?? bare.samples;
  return {
    rps: run.samples.map((s, i) => s.rps / base[i].rps),
    cpu: run.samples.map((s, i) => base[i].cpuMicrosPerRequest / s.cpuMicrosPerRequest),
    micros: run.samples.map((s, i) => 1e6 / s.rps - 1e6 / base[i].rps),
  };
}

/**
 * met: the whole interquartile range of the per-round ratios clears the target; "met (noise)"
 * / "missed (noise)": the median is on that side but the range straddles the target; MISSED:
 * the whole range is below it.
 */
function verdict({ median: m, q1, q3 }, min) {
  if (q1 >= min) return 'met';
  if (m >= min) return 'met (noise)';
  if (q3 >= min) return 'missed (noise)';
  return 'MISSED';
}

/**
 * Summarises one framework's runs: medians and interquartile ranges of per-round ratios (each
 * round's variant against its baseline, which cancels slow drifts in machine load), the added
 * µs/request (`1e6/rps_variant − 1e6/rps_bare`), and the verdict against the issues' targets.
 * @param {string} framework
 * @param {{ scenario: object, samples: object[], baseline?: object[], warnings: string[], startupMs: number }[]} runs
 */
export function summarise(framework, runs) {
  const bare = runs.find((r) => r.scenario.id === 'bare');
  const admit = runs.find((r) => r.scenario.id === 'admit');
  const admitRel = admit && relative(admit, bare);
  return runs.map((run) => {
    const { scenario, samples, warnings, startupMs } = run;
    const rel = relative(run, bare);
    const requests = samples.reduce((n, s) => n + s.requests, 0);
    const line = {
      id: scenario.id,
      label: scenario.label,
      blocks: Boolean(scenario.blocks),
      rps: median(samples.map((s) => s.rps)),
      rpsSpread: spread(samples.map((s) => s.rps)),
      ratio: stats(rel.rps),
      addedMicros: median(rel.micros),
      cpuMicros: median(samples.map((s) => s.cpuMicrosPerRequest)),
      cpuRatio: stats(rel.cpu),
      non2xxShare: requests ? samples.reduce((n, s) => n + s.non2xx, 0) / requests : 0,
      errors: samples.reduce((n, s) => n + s.errors, 0),
      notEnforced: warnings.filter((w) => w.includes('not enforced')),
      startupMs,
      samples,
      ...(run.baseline ? { baseline: run.baseline } : {}),
    };
    const target = targetFor(framework, scenario.id);
    if (target && (target.against === 'bare' || admitRel)) {
      const against = (values, key) => (target.against === 'admit' ? values.map((v, i) => v / admitRel[key][i]) : values);
      const value = stats(against(rel.rps, 'rps'));
      const cpuValue = stats(against(rel.cpu, 'cpu'));
      line.target = { ...target, value, cpuValue, verdict: verdict(value, target.min), cpuVerdict: verdict(cpuValue, target.min) };
    }
    return line;
  });
}
