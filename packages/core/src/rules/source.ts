import type { OpenSergoError } from '../errors.js';
import type { RuleProblem } from './types.js';

/**
 * One OpenSergo document as parsed from YAML or decoded from the control plane, with a way
 * to find where any of its fields was written.
 */
export interface LocatedDocument {
  /** Plain data, as `yaml` would produce it (objects, arrays, strings, numbers, booleans, null). */
  readonly value: unknown;
  /** A file path, or a pseudo-file such as `control-plane:10.0.0.1:10246`. */
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  /**
   * Line and column (1-based) of the value at `path` (e.g. `['spec', 'strategies', 0, 'name']`),
   * or of its nearest ancestor that exists.
   */
  locate(path: readonly (string | number)[]): { line: number; column: number };
  /**
   * The document could not be read (a YAML syntax error, reported on its own): `value` holds
   * what could be made of its head, so that references to it are not also reported as
   * dangling. A rules text with such a document is never applied.
   */
  readonly unreadable?: true;
}

/** What a source may say about an update besides its documents. */
export interface UpdateInfo {
  /** The origin's version of these documents (a control-plane push's version). */
  readonly version?: string;
  /**
   * Problems the source found before compiling (YAML syntax errors). The update is then
   * rejected, with these and any other problems compiling finds, and nothing changes.
   */
  readonly problems?: readonly RuleProblem[];
  /**
   * Set by a source whose kinds arrive separately (the control plane): a FaultToleranceRule of
   * these documents that names a strategy or fallback action nothing defines yet waits,
   * reported in `engine.status().rules.pending`, instead of failing the update, and comes
   * into force by itself once what it names arrives, from any source. Files and inline rules
   * leave it unset: there a dangling reference is an error (docs/rules.md).
   */
  readonly referencesMayWait?: boolean;
}

/** Version and time of one part of a source's documents in force (one kind pushed by the control plane). */
export interface KindVersion {
  /** The version of the list in force; `undefined` while nothing has been received for it. */
  readonly version: string | undefined;
  /** Wall-clock time (ISO 8601) that list was received. */
  readonly updatedAt: string | undefined;
}

/** What a rule source is told about the fate of its update. */
export type UpdateResult = { readonly ok: true } | { readonly ok: false; readonly error: OpenSergoError };

/**
 * Where a rule source delivers documents. Each call replaces everything this source said
 * before (never a merge). A rejected update leaves the source's previous documents in force.
 */
export interface RuleSourceSink {
  update(documents: readonly LocatedDocument[], info?: UpdateInfo): UpdateResult;
  /**
   * The same update with the same outcome, compiled a few milliseconds at a time so that a
   * large one (thousands of rules) does not stall requests in flight; the new rules still come
   * into force all at once, or not at all. Optional: a source falls back to `update`.
   */
  updateSliced?(documents: readonly LocatedDocument[], info?: UpdateInfo): Promise<UpdateResult>;
  /** The source reached its origin (file readable, stream open). */
  connected(detail?: string): void;
  /** The source lost its origin; its last good documents stay in force. */
  disconnected(reason: string): void;
  /** A problem that did not change the rules in force (unreadable file, garbled push). */
  error(error: Error): void;
}

/** A feed of documents (a watched file, the control plane). */
export interface RuleSource {
  /** Unique among the sources of one engine, e.g. `file:./opensergo.yaml`. */
  readonly name: string;
  start(sink: RuleSourceSink): void;
  close(): Promise<void>;
  /**
   * Optional: the version and time of each part of the documents in force, for a source whose
   * documents come in parts (the control plane: one entry per subscribed kind, including those
   * nothing was received for yet). `engine.status()` shows it.
   */
  kinds?(): Readonly<Record<string, KindVersion>>;
}

/**
 * A document parsed from YAML text can also give the source text of a scalar, so that a
 * match value written `value: 007` is compared as `"007"` and not as `"7"`. Documents given
 * as values (the `rules` option, the control plane) do not have this; callers duck-type it.
 */
export interface SourceTextDocument extends LocatedDocument {
  scalarSource(path: readonly (string | number)[]): string | undefined;
}
