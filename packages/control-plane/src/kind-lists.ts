import { documentsFromValues } from '@opensergo/core';
import type { KindVersion, LocatedDocument } from '@opensergo/core';

interface KindList {
  readonly values: readonly unknown[];
  readonly version: string;
  readonly updatedAt: string;
}

/**
 * The latest list of every subscribed kind, as Sentinel keeps them: each push replaces its
 * kind's list, and what goes to the engine is always the union of all kinds, so the order in
 * which the kinds arrive does not matter.
 */
export class KindLists {
  private readonly lists = new Map<string, KindList>();

  /** `kinds` in subscription order; `file` is the pseudo-file the documents are said to come from. */
  constructor(
    private readonly kinds: readonly string[],
    private readonly file: string,
  ) {}

  /** Puts `values` in place of `kind`'s list; returns what puts the previous list back. */
  replace(kind: string, values: readonly unknown[], version: string): () => void {
    const previous = this.lists.get(kind);
    this.lists.set(kind, { values, version, updatedAt: new Date().toISOString() });
    return () => (previous === undefined ? this.lists.delete(kind) : this.lists.set(kind, previous));
  }

  /** The union of every kind's list, in subscription order. */
  documents(): LocatedDocument[] {
    return documentsFromValues(
      this.kinds.flatMap((kind) => this.lists.get(kind)?.values ?? []),
      this.file,
    );
  }

  /** Version and time of every subscribed kind's list; no version for a kind nothing was received for. */
  versions(): Record<string, KindVersion> {
    const versions: Record<string, KindVersion> = {};
    for (const kind of this.kinds) {
      const list = this.lists.get(kind);
      versions[kind] = Object.freeze({ version: list?.version, updatedAt: list?.updatedAt });
    }
    return Object.freeze(versions);
  }
}
