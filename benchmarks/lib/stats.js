/** The median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

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
