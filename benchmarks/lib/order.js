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
