/** A slot of {@link PathTable}: the one key with this signature, or the first of several. */
interface Slot<V> {
  readonly key: string;
  readonly value: V;
  /** More keys share this slot: look the others up in the table's map. */
  readonly crowded: boolean;
}

/** At most this many slots (2^14): beyond, more keys share slots and are found by the map. */
const MAX_BITS = 14;

/**
 * A cheap signature of a path: its length and three of its characters (the last, the middle
 * one and the one a quarter in), mixed by one multiplication. Reading four fields costs a few
 * instructions whatever the length, where hashing the whole string costs ~170 on `/bench`.
 */
function signature(path: string, shift: number): number {
  const n = path.length;
  if (n === 0) return 0;
  const mixed = (n << 21) ^ (path.charCodeAt(n - 1) << 14) ^ (path.charCodeAt(n >> 1) << 7) ^ path.charCodeAt(n >> 2);
  return Math.imul(mixed, 0x9e3779b1) >>> shift;
}

/**
 * Exact look-up of paths: the same answers as a `Map` of the same entries, for any string. A
 * request's path is a new string on every request, so a `Map` hashes it every time (its whole
 * length; ~300 instructions with the map's probe on `/bench`, callgrind). Here a slot is chosen
 * by a {@link signature} of the path instead, and the one key there is compared with it; only
 * when several keys share a slot (paths alike in length and in the characters read, such as
 * `/other/17` and `/other/27`) does the map decide. Filled one key at a time (an index is built
 * in steps); `size` is how many keys it will hold, which sets the number of slots.
 *
 * @example
 * ```ts
 * const table = new PathTable<number>(1);
 * table.set('/bench', 1);
 * table.get('/bench'); // 1
 * table.get('/bencH'); // undefined
 * ```
 */
export class PathTable<V> {
  private readonly map = new Map<string, V>();
  private readonly slots: (Slot<V> | undefined)[];
  private readonly shift: number;

  constructor(size: number) {
    let bits = 4;
    while (bits < MAX_BITS && 1 << bits < size * 4) bits++;
    this.shift = 32 - bits;
    this.slots = new Array<Slot<V> | undefined>(1 << bits).fill(undefined);
  }

  /** Sets `key` to `value`, as `Map.set` does. */
  set(key: string, value: V): void {
    this.map.set(key, value);
    const i = signature(key, this.shift);
    const slot = this.slots[i];
    // One object shape for every slot, so that `get` reads them all through one map.
    if (slot === undefined) this.slots[i] = { key, value, crowded: false };
    else if (slot.key === key) this.slots[i] = { key, value, crowded: slot.crowded };
    else if (!slot.crowded) this.slots[i] = { key: slot.key, value: slot.value, crowded: true };
  }

  get(path: string): V | undefined {
    const slot = this.slots[signature(path, this.shift)];
    if (slot === undefined) return undefined;
    if (slot.key === path) return slot.value;
    return slot.crowded ? this.map.get(path) : undefined;
  }
}
