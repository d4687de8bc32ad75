import { realpathSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import { decodeRulesText } from '../rules/encoding.js';
import { ChunkCache } from '../rules/parse-fast.js';
import { parseRulesSteps } from '../rules/parse-yaml.js';
import type { RuleSource, RuleSourceSink } from '../rules/source.js';
import { runSliced } from '../rules/steps.js';

export interface FileSourceOptions {
  /**
   * The text already loaded at start-up, so an unchanged file is not reloaded. Without it, the
   * file is read when the source starts (its rules apply once read, or are rejected as on a reload).
   */
  readonly initialText?: string | undefined;
  /** Quiet time after the last change before reloading. Default 100 ms. */
  readonly debounceMs?: number;
}

/**
 * Watches a rules file and delivers its documents on every change. It watches the file's
 * directory, not the file, so it sees in-place edits, atomic renames (`mv new.yaml
 * opensergo.yaml`) and the Kubernetes ConfigMap swap of the `..data` symlink alike. Bursts
 * of events are debounced, and a reload happens only when the content really changed. A
 * deleted or unreadable file keeps the last good rules (and says so once); so does a file
 * that fails validation (the engine reports it, once per distinct content).
 *
 * @example
 * ```ts
 * import { createEngine, createFileSource } from '@opensergo/core';
 * const engine = createEngine({ rules: [], logger: false });
 * engine.addSource(createFileSource('./extra-rules.yaml'));
 * ```
 */
export function createFileSource(file: string, options: FileSourceOptions = {}): RuleSource {
  return watchRulesFile(file, options, new ChunkCache());
}

/**
 * {@link createFileSource} with the parse cache that start-up filled reading the same file, so
 * that the first edit is read as fast as the next ones.
 *
 * @example
 * ```ts
 * const cache = new ChunkCache();
 * const { documents } = runSync(parseRulesSteps(text, file, cache));
 * engine.addSource(watchRulesFile(file, { initialText: text }, cache));
 * ```
 */
export function watchRulesFile(file: string, options: FileSourceOptions, cache: ChunkCache): RuleSource {
  const path = resolve(file);
  const name = `file:${file}`;
  const debounceMs = options.debounceMs ?? 100;
  let lastText = options.initialText;
  let missing = false;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let reading: Promise<void> = Promise.resolve();
  /** The file a symlink points to, when it is in another directory, and the watcher of that directory. */
  let linked: { real: string; watcher: FSWatcher } | undefined;
  let follow = (): void => {};

  async function reload(sink: RuleSourceSink): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (!missing) {
        missing = true;
        const gone = lastText === undefined ? 'does not exist' : 'was deleted';
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? gone : `cannot be read (${(error as Error).message})`;
        sink.disconnected(`${path} ${reason}`);
      }
      return;
    }
    if (missing) {
      missing = false;
      sink.connected(path);
    }
    const decoded = decodeRulesText(bytes, file);
    // What was read last, as text; bytes that are not text are told apart by their bytes.
    const text = decoded.ok ? decoded.text : `\u0000${bytes.toString('latin1')}`;
    if (text === lastText || closed) return;
    lastText = text;
    if (!decoded.ok) {
      sink.update([], { problems: [decoded.problem] });
      return;
    }
    // Parsed and compiled a few milliseconds at a time: requests keep being served meanwhile.
    const { documents, problems } = await runSliced(parseRulesSteps(text, file, cache));
    if (closed) return;
    await (sink.updateSliced?.(documents, { problems }) ?? sink.update(documents, { problems }));
  }

  return {
    name,
    start(sink) {
      sink.connected(path);
      const schedule = (): void => {
        if (closed) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          reading = reading.then(() => reload(sink)).catch((error: unknown) => sink.error(error as Error));
        }, debounceMs);
        timer.unref();
      };
      const target = basename(path);
      const dir = dirname(path);
      watcher = watch(dir, { persistent: false }, (_event, changed) => {
        // `..data` is the ConfigMap symlink swap; anything else in the directory is noise.
        if (changed === null || changed === target || String(changed).startsWith('..')) schedule();
        // The link may have been pointed elsewhere.
        if (changed === null || changed === target) follow();
      });
      watcher.on('error', (error) => sink.error(error));
      // A symlink to a file in another directory (ln -s /etc/opensergo/rules.yaml): edits of that
      // file make no event here, so its directory is watched too. The ConfigMap's links stay
      // inside the directory (`..data/…`), whose own events already say when they change.
      follow = () => {
        let real: string;
        try {
          real = realpathSync(path);
        } catch {
          return;
        }
        const realDir = dirname(real);
        const inside = realDir === dir || realDir.startsWith(`${dir}${sep}`);
        if ((inside ? undefined : real) === linked?.real) return;
        linked?.watcher.close();
        linked = undefined;
        if (inside) return;
        try {
          const name = basename(real);
          const w = watch(realDir, { persistent: false }, (_event, changed) => {
            if (changed === null || changed === name) schedule();
          });
          w.on('error', (error) => sink.error(error));
          linked = { real, watcher: w };
        } catch (error) {
          sink.error(error as Error);
        }
      };
      follow();
      // Without the text start-up read (a source added with `addSource`), the file is read now,
      // not at its first edit.
      if (options.initialText === undefined) reading = reading.then(() => reload(sink)).catch((error: unknown) => sink.error(error as Error));
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      linked?.watcher.close();
      await reading;
    },
  };
}
