// Turns the per-round samples of one framework into one line per scenario.
import { addedMicros, median, quantile, spread } from './stats.js';
import { targetFor } from './targets.js';

/** Per-round values of `f(variant, baseline)`: each round's variant against the same round's baseline. */
const pairs = (a, b, f) => a.map((x, i) => f(x, b[i]));

/** Median and interquartile range of paired ratios. */
function ratio(samples, base, key, invert = false) {
  const values = pairs(samples, base, (v, b) => (invert ? b[key] / v[key] : v[key] / b[key]));
  return { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) };
}

/**
 * met: the whole interquartile range of the paired ratios clears the target; "met (noise)" /
 * "missed (noise)": the median is on that side but the range straddles the target; MISSED:
 * the whole range is below it.
 */
function verdict({ median: m, q1, q3 }, min) {
  if (q1 >= min) return 'met';
  if (m >= min) return 'met (noise)';
  if (q3 >= min) return 'missed (noise)';
  return 'MISSED';
}

/**
 * Summarises samples. Ratios and added microseconds are medians of per-round pairs (each
 * round's variant against the same round's bare run), which cancels slow drifts in machine
 * load better than a ratio of two medians; the interquartile range of the pairs shows the noise.
 * @param {string} framework
 * @param {{ scenario: object, samples: object[], warnings: string[], startupMs: number }[]} runs
 */
export function summarise(framework, runs) {
  const bare = runs.find((r) => r.scenario.id === 'bare').samples;
  const admit = runs.find((r) => r.scenario.id === 'admit')?.samples;
  return runs.map(({ scenario, samples, warnings, startupMs }) => {
    const requests = samples.reduce((n, s) => n + s.requests, 0);
    const line = {
      id: scenario.id,
      label: scenario.label,
      blocks: Boolean(scenario.blocks),
      rps: median(samples.map((s) => s.rps)),
      rpsSpread: spread(samples.map((s) => s.rps)),
      ratio: ratio(samples, bare, 'rps'),
      addedMicros: median(pairs(samples, bare, (v, b) => addedMicros(v.rps, b.rps))),
      cpuMicros: median(samples.map((s) => s.cpuMicrosPerRequest)),
      cpuRatio: ratio(samples, bare, 'cpuMicrosPerRequest', true),
      non2xxShare: requests ? samples.reduce((n, s) => n + s.non2xx, 0) / requests : 0,
      errors: samples.reduce((n, s) => n + s.errors, 0),
      notEnforced: warnings.filter((w) => w.includes('not enforced')),
      startupMs,
      samples,
    };
    const target = targetFor(framework, scenario.id);
    const base = target?.against === 'admit' ? admit : bare;
    if (target && base) {
      const value = ratio(samples, base, 'rps');
      const cpuValue = ratio(samples, base, 'cpuMicrosPerRequest', true);
      line.target = { ...target, value, cpuValue, verdict: verdict(value, target.min), cpuVerdict: verdict(cpuValue, target.min) };
    }
    return line;
  });
}
