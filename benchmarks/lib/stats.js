/**
 * The `q`-quantile (0…1) of a non-empty list, interpolating between neighbours.
 * @param {number[]} values
 * @param {number} q
 */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

/** The median of a non-empty list of numbers. */
export const median = (values) => quantile(values, 0.5);

/**
 * Relative spread of samples: (max − min) / median, to show how noisy a figure was.
 * @param {number[]} values
 */
export function spread(values) {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/**
 * Microseconds a variant adds per request over a baseline, from throughputs.
 * @param {number} rps the variant's requests/s
 * @param {number} bareRps the baseline's requests/s
 */
export const addedMicros = (rps, bareRps) => 1e6 / rps - 1e6 / bareRps;
