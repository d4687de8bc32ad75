// Engines on rules files in temporary directories, for the file-watch tests: every engine is
// closed and every directory removed after each test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import { createEngine, FakeClock, type Engine, type Logger } from '../../src/index.js';

export interface WatchedFiles {
  /** A new temporary directory, removed after the test. */
  dir(): string;
  /** Closes `engine` after the test; returns it. */
  track(engine: Engine): Engine;
  /** Writes `text` to `opensergo.yaml` in a new directory and starts an engine watching it, on a fake clock. */
  open(text: string, logger?: Logger | false): { dir: string; file: string; engine: Engine; clock: FakeClock };
}

/** Registers the clean-up hooks of the calling test file; `prefix` names its directories. */
export function watchedFiles(prefix: string): WatchedFiles {
  const engines: Engine[] = [];
  const dirs: string[] = [];
  // The watcher never keeps a process alive (by design); while a test awaits a file event,
  // this interval does.
  const hold = setInterval(() => {}, 1000);
  after(() => clearInterval(hold));
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const files: WatchedFiles = {
    dir() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    track(engine) {
      engines.push(engine);
      return engine;
    },
    open(text, logger = false) {
      const dir = files.dir();
      const file = join(dir, 'opensergo.yaml');
      writeFileSync(file, text);
      const clock = new FakeClock();
      return { dir, file, engine: files.track(createEngine({ rulesFile: file, clock, logger })), clock };
    },
  };
  return files;
}
