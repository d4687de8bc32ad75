// Turns the per-round samples of one framework into one line per scenario.
import { addedMicros, median, spread } from './stats.js';
import { targetFor } from './targets.js';

const paired = (a, b, f) => median(a.map((x, i) => f(x, b[i])));

/**
 * Summarises samples. Ratios and added microseconds are medians of per-round pairs (each
 * round's variant against the same round's bare run), which cancels slow drifts in machine
 * load better than a ratio of two medians.
 * @param {string} framework
 * @param {{ scenario: object, samples: object[], warnings: string[], startupMs: number }[]} runs
 *   the bare scenario first
 */
export function summarise(framework, runs) {
  const bare = runs.find((r) => r.scenario.id === 'bare').samples;
  const admit = runs.find((r) => r.scenario.id === 'admit')?.samples;
  return runs.map(({ scenario, samples, warnings, startupMs }) => {
    const rps = samples.map((s) => s.rps);
    const cpu = samples.map((s) => s.cpuMicrosPerRequest);
    const requests = samples.reduce((n, s) => n + s.requests, 0);
    const line = {
      id: scenario.id,
      label: scenario.label,
      blocks: Boolean(scenario.blocks),
      rps: median(rps),
      rpsSpread: spread(rps),
      ratio: paired(samples, bare, (v, b) => v.rps / b.rps),
      addedMicros: paired(samples, bare, (v, b) => addedMicros(v.rps, b.rps)),
      cpuMicros: median(cpu),
      cpuRatio: paired(samples, bare, (v, b) => b.cpuMicrosPerRequest / v.cpuMicrosPerRequest),
      non2xxShare: requests ? samples.reduce((n, s) => n + s.non2xx, 0) / requests : 0,
      errors: samples.reduce((n, s) => n + s.errors, 0),
      notEnforced: warnings.filter((w) => w.includes('not enforced')),
      startupMs,
      samples,
    };
    const target = targetFor(framework, scenario.id);
    if (target) {
      const base = target.against === 'admit' ? admit : bare;
      const value = base ? paired(samples, base, (v, b) => v.rps / b.rps) : NaN;
      const cpuValue = base ? paired(samples, base, (v, b) => b.cpuMicrosPerRequest / v.cpuMicrosPerRequest) : NaN;
      line.target = { ...target, value, cpuValue, met: value >= target.min, cpuMet: cpuValue >= target.min };
    }
    return line;
  });
}
