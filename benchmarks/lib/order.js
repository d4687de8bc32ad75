// Measurement order: each round starts one item later, so no case is always measured first,
// last, or right after the same neighbour.

/**
 * `items` rotated left by `round`.
 * @template T
 * @param {T[]} items
 * @param {number} round 0-based
 * @returns {T[]}
 */
export function rotated(items, round) {
  return items.map((_, i) => items[(i + round) % items.length]);
}

/**
 * Runs `measure` on every item, `rounds` times, each round in `rotated` order, showing the
 * round on stderr under `label`.
 * @template T
 * @param {string} label
 * @param {number} rounds
 * @param {T[]} items
 * @param {(item: T, round: number) => Promise<void>} measure
 */
export async function inRounds(label, rounds, items, measure) {
  for (let round = 0; round < rounds; round++) {
    process.stderr.write(`\r${label}: round ${round + 1}/${rounds} `);
    for (const item of rotated(items, round)) await measure(item, round);
  }
  process.stderr.write('\n');
}
