// Live rules from a watched file (issue 5): edits, atomic renames, ConfigMap symlink swaps,
// broken files and deletions, with the state of unchanged strategies kept.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { renameSync, symlinkSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createEngine, createFileSource, FakeClock, type Engine } from '../src/index.js';
import { admitted, limitedTarget } from './helpers/rate-limit-rules.js';
import { watchedFiles } from './helpers/watched-files.js';

const limit = (name: string, threshold: number): string => limitedTarget(name, `/${name}`, threshold);

const files = watchedFiles('opensergo-watch-');

function setup(text: string): { dir: string; file: string; engine: Engine; clock: FakeClock; errors: string[] } {
  const errors: string[] = [];
  const logger = { info() {}, warn() {}, error: (m: string) => errors.push(m) };
  return { ...files.open(text, logger), errors };
}

describe('watched rules file', () => {
  it('applies an edited threshold without a restart', async () => {
    const { file, engine, clock } = setup(limit('foo', 10));
    assert.equal(admitted(engine, '/foo', 30), 10);
    const loaded = once(engine.events, 'rules:loaded');
    writeFileSync(file, limit('foo', 20));
    await loaded;
    clock.advance(1000);
    assert.equal(admitted(engine, '/foo', 30), 20);
  });

  it('keeps the last good rules when the file breaks, and reports it once with file and line', async () => {
    const { file, engine, errors } = setup(limit('foo', 2));
    const rejected = once(engine.events, 'rules:rejected');
    writeFileSync(file, limit('foo', 2).replace('threshold: 2', 'threshold: two'));
    const [event] = (await rejected) as [{ error: Error }];
    assert.match(event.error.message, new RegExp(`${file.replace(/[.]/g, '\\.')}:5:\\d+ RateLimitStrategy/foo spec.threshold`));
    assert.equal(admitted(engine, '/foo', 5), 2, 'the previous rules still apply');
    assert.equal(errors.length, 1);
    assert.equal(engine.status().sources[0]?.lastError?.includes('threshold'), true);
    // a syntax error is reported the same way
    const again = once(engine.events, 'rules:rejected');
    writeFileSync(file, 'kind: [unclosed');
    const [syntax] = (await again) as [{ error: Error }];
    assert.match(syntax.error.message, /opensergo\.yaml:1:\d+/);
  });

  it('refuses a file saved as Latin-1, naming the encoding and the place, and keeps the last good rules', async () => {
    const { file, engine, errors } = setup(limit('foo', 2));
    const rejected = once(engine.events, 'rules:rejected');
    writeFileSync(file, Buffer.concat([Buffer.from(`${limit('foo', 3)}\n# caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
    const [event] = (await rejected) as [{ error: Error }];
    assert.match(event.error.message, /opensergo\.yaml:\d+:6 file encoding: not valid UTF-8/);
    assert.equal(admitted(engine, '/foo', 5), 2, 'the previous rules still apply');
    assert.equal(errors.length, 1);
  });

  it('keeps a half-used window half used when an unrelated rule changes', async () => {
    const { file, engine } = setup(limit('foo', 4) + '---' + limit('bar', 1));
    assert.equal(admitted(engine, '/foo', 2), 2);
    const loaded = once(engine.events, 'rules:loaded');
    writeFileSync(file, limit('foo', 4) + '---' + limit('bar', 5));
    await loaded;
    assert.equal(admitted(engine, '/foo', 5), 2, 'two of four were already used');
    assert.equal(admitted(engine, '/bar', 9), 5, 'the changed rule starts fresh');
  });

  it('sees atomic renames', async () => {
    const { dir, file, engine } = setup(limit('foo', 1));
    const loaded = once(engine.events, 'rules:loaded');
    writeFileSync(join(dir, '.opensergo.yaml.tmp'), limit('foo', 3));
    renameSync(join(dir, '.opensergo.yaml.tmp'), file);
    await loaded;
    assert.equal(admitted(engine, '/foo', 5), 3);
  });

  it('sees the Kubernetes ConfigMap symlink swap', async () => {
    const dir = files.dir();
    mkdirSync(join(dir, '..2026_11_23_1'));
    writeFileSync(join(dir, '..2026_11_23_1', 'opensergo.yaml'), limit('foo', 1));
    symlinkSync('..2026_11_23_1', join(dir, '..data'));
    symlinkSync('..data/opensergo.yaml', join(dir, 'opensergo.yaml'));
    const engine = files.track(createEngine({ rulesFile: join(dir, 'opensergo.yaml'), logger: false, clock: new FakeClock() }));
    assert.equal(admitted(engine, '/foo', 3), 1);
    const loaded = once(engine.events, 'rules:loaded');
    mkdirSync(join(dir, '..2026_11_23_2'));
    writeFileSync(join(dir, '..2026_11_23_2', 'opensergo.yaml'), limit('foo', 3));
    symlinkSync('..2026_11_23_2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await loaded;
    assert.equal(admitted(engine, '/foo', 5), 3, 'the changed strategy starts fresh with its new threshold');
  });

  it('sees edits of the file a symlink in another directory points to (ln -s /etc/opensergo/rules.yaml opensergo.yaml)', async () => {
    const app = files.dir();
    const etc = files.dir();
    writeFileSync(join(etc, 'rules.yaml'), limit('foo', 1));
    symlinkSync(join(etc, 'rules.yaml'), join(app, 'opensergo.yaml'));
    const engine = files.track(createEngine({ rulesFile: join(app, 'opensergo.yaml'), logger: false, clock: new FakeClock() }));
    assert.equal(admitted(engine, '/foo', 3), 1);
    const loaded = once(engine.events, 'rules:loaded');
    writeFileSync(join(etc, 'rules.yaml'), limit('foo', 3));
    await loaded;
    assert.equal(admitted(engine, '/foo', 5), 3, 'the edited threshold applies');
  });

  it('keeps the last good rules when the file is deleted, and says so', async () => {
    const { file, engine } = setup(limit('foo', 1));
    const gone = once(engine.events, 'source:disconnected');
    unlinkSync(file);
    const [event] = (await gone) as [{ reason: string }];
    assert.match(event.reason, /deleted/);
    assert.equal(admitted(engine, '/foo', 3), 1);
    const back = once(engine.events, 'rules:loaded');
    writeFileSync(file, limit('foo', 5));
    await back;
    assert.equal(engine.status().sources[0]?.connected, true);
  });

  it('a file source added with addSource applies its file at once, not at its first edit; a broken one is rejected at once', async () => {
    const dir = files.dir();
    const good = join(dir, 'extra.yaml');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(good, limit('extra', 2));
    writeFileSync(broken, limit('other', 2).replace('threshold: 2', 'threshold: two'));
    const engine = files.track(createEngine({ rules: [], logger: false, clock: new FakeClock() }));
    const loaded = once(engine.events, 'rules:loaded');
    engine.addSource(createFileSource(good));
    const [event] = (await loaded) as [{ source: string }];
    assert.equal(event.source, `file:${good}`);
    assert.equal(admitted(engine, '/extra', 5), 2);
    const rejected = once(engine.events, 'rules:rejected');
    engine.addSource(createFileSource(broken));
    const [refusal] = (await rejected) as [{ error: Error }];
    assert.match(refusal.error.message, /broken\.yaml:5:\d+ RateLimitStrategy\/other spec\.threshold/);
    assert.equal(admitted(engine, '/extra', 5), 0, 'the good file still applies (its window is used up)');
    assert.equal(admitted(engine, '/other', 5), 5, 'nothing of the broken file applies');
  });

  it('a file source whose file does not exist yet says so, and applies the file once it appears', async () => {
    const dir = files.dir();
    const path = join(dir, 'later.yaml');
    const engine = files.track(createEngine({ rules: [], logger: false, clock: new FakeClock() }));
    const gone = once(engine.events, 'source:disconnected');
    engine.addSource(createFileSource(path));
    const [event] = (await gone) as [{ reason: string }];
    assert.equal(event.reason, `${path} does not exist`);
    const loaded = once(engine.events, 'rules:loaded');
    writeFileSync(path, limit('later', 1));
    await loaded;
    assert.equal(admitted(engine, '/later', 3), 1);
  });

  it('does not watch with watch: false', () => {
    const { file } = setup(limit('foo', 1));
    const engine = files.track(createEngine({ rulesFile: file, watch: false, logger: false }));
    assert.equal(engine.status().sources.length, 1);
    assert.equal(engine.status().sources[0]?.connected, true);
  });
});
