// The packages as users get them. Every workspace package is packed with `npm pack` (which
// runs its `prepack` build), and the tarballs are installed with Express, Koa, Fastify and
// TypeScript from the npm registry into one fresh folder outside the repository. There the
// apps of test/packaging/ run as a user runs them — ES module and CommonJS, on the current
// Node and on the lowest Node of each line `engines` allows — and serve the launch post's
// example; TypeScript compiles typed apps and every README's `ts` snippets under `strict`
// with `module: node16` and `bundler`, and the compiled apps serve too.
// Needs the npm registry (or npm's cache: installs are `--prefer-offline`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(repo, 'test', 'packaging');
const rootPackage = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const packageDirs = readdirSync(join(repo, 'packages')).filter((name) => !name.startsWith('.'));

/** The lowest version of each range in `engines.node` (`^20.19.0 || >=22.12.0` → 20.19.0, 22.12.0). */
const lowestNodes = rootPackage.engines.node.split('||').map((range) => /\d+\.\d+\.\d+/.exec(range)?.[0] ?? range);

/** The environment of a user's shell: none of the `npm_*` variables `npm test` sets. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_')));

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function succeeded(ran: Ran, what: string): Ran {
  assert.equal(ran.status, 0, `${what} failed:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

interface RunningApp {
  /** What the app printed when listening: `{ port, ... }`. */
  readonly info: { port: number; [key: string]: unknown };
  /** Stops the app and resolves to everything it wrote on stderr. */
  stop(): Promise<string>;
}

/** Starts `file` with `node` in `cwd` and waits for the line `{"port":N,...}` it prints when listening. */
function startApp(node: string, file: string, cwd: string): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [file], { cwd, env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.on('close', () => done()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => reject(new Error(`${file} exited (${status}) before listening:\n${stdout}\n${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l, i, all) => i < all.length - 1 && l.startsWith('{"port":'));
      if (line === undefined) return;
      resolve({
        info: JSON.parse(line) as RunningApp['info'],
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
          return stderr;
        },
      });
    });
  });
}

/**
 * What the launch post promises, checked as a user would with curl: `/index` with
 * `X-User-Id: 12345` is labelled gray; `/foo` admits 10 a second and answers the rest with its
 * fallback (429 `Blocked by Sentinel`, `X-Sentinel-Limit: foo`). The burst is sent at once so
 * that it falls in one window; only "at least" counts are asserted about it.
 */
async function servesLaunchPost(port: number): Promise<void> {
  const url = (path: string): string => `http://127.0.0.1:${port}${path}`;
  const gray = await fetch(url('/index'), { headers: { 'x-user-id': '12345' } });
  assert.deepEqual({ status: gray.status, body: await gray.text() }, { status: 200, body: 'lane: gray' });
  const first = await fetch(url('/foo'));
  assert.deepEqual({ status: first.status, body: await first.text() }, { status: 200, body: 'lane: base' });
  const burst = await Promise.all(
    Array.from({ length: 30 }, async () => {
      const response = await fetch(url('/foo'));
      return { status: response.status, body: await response.text(), limit: response.headers.get('x-sentinel-limit') };
    }),
  );
  const served = burst.filter((r) => r.status === 200);
  const blocked = burst.filter((r) => r.status !== 200);
  assert.ok(served.length >= 9, `the window had room for 9 more after the first, ${served.length} were served`);
  for (const r of served) assert.equal(r.body, 'lane: base');
  assert.ok(blocked.length > 0, '30 requests at once: some must be over the limit of 10 per second');
  for (const r of blocked) assert.deepEqual(r, { status: 429, body: 'Blocked by Sentinel', limit: 'foo' });
}

async function appServes(node: string, file: string, cwd: string): Promise<RunningApp['info']> {
  const app = await startApp(node, file, cwd);
  try {
    await servesLaunchPost(app.info.port);
  } finally {
    const stderr = await app.stop();
    assert.doesNotMatch(stderr, /\(node:\d+\) \w*Warning|Error/, `${file} on ${node}: a warning or an error on stderr:\n${stderr}`);
  }
  return app.info;
}

/** Every ```ts block of every README, as `{ name, code }`. */
function readmeSnippets(): { name: string; code: string }[] {
  const readmes = ['README.md', ...packageDirs.map((dir) => join('packages', dir, 'README.md'))];
  return readmes.flatMap((readme) => {
    const text = readFileSync(join(repo, readme), 'utf8');
    const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
    const stem = readme === 'README.md' ? 'readme' : basename(dirname(readme));
    return blocks.map((code, i) => ({ name: `${stem}-${i + 1}`, code }));
  });
}

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

describe('the packed packages, installed outside the workspace', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'opensergo-packed-'));
  const app = join(work, 'app');
  const nodes = join(work, 'nodes');
  const snippets = readmeSnippets();
  let packed: Packed[] = [];

  before(async () => {
    mkdirSync(join(work, 'tarballs'));
    const pack = succeeded(
      await run('npm', ['pack', '--json', '--pack-destination', join(work, 'tarballs'), ...packageDirs.flatMap((dir) => ['-w', `packages/${dir}`])], repo),
      'npm pack',
    );
    packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Packed[];

    // The app: the tarballs and the frameworks, in the versions the workspace tests with.
    cpSync(join(fixtures, 'apps'), app, { recursive: true });
    cpSync(join(fixtures, 'ts'), join(app, 'ts'), { recursive: true });
    cpSync(join(repo, 'examples', 'opensergo.yaml'), join(app, 'opensergo.yaml'));
    mkdirSync(join(app, 'ts', 'src', 'readme'));
    for (const { name, code } of snippets) writeFileSync(join(app, 'ts', 'src', 'readme', `${name}.ts`), code);
    const dev = rootPackage.devDependencies;
    const dependencies: Record<string, string> = Object.fromEntries(packed.map((p) => [p.name, `file:../tarballs/${p.filename}`]));
    for (const name of ['express', 'koa', 'fastify', 'typescript', '@types/express', '@types/koa', '@types/node']) dependencies[name] = dev[name]!;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true, dependencies }, null, 2));

    // Node itself at the lowest versions `engines` allows, from the registry's node-<os>-<arch>.
    const platform = process.platform === 'win32' ? 'win' : process.platform;
    const binaries = Object.fromEntries(lowestNodes.map((v) => [`node-${v}`, `npm:node-${platform}-${process.arch}@${v}`]));
    mkdirSync(nodes);
    writeFileSync(join(nodes, 'package.json'), JSON.stringify({ name: 'nodes', private: true, dependencies: binaries }));

    const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
    const [installed, installedNodes] = await Promise.all([run('npm', install, app), run('npm', install, nodes)]);
    succeeded(installed, 'npm install of the tarballs');
    succeeded(installedNodes, 'npm install of the Node binaries');
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('packs every package with LICENSE, README, the built ES module and CommonJS entries and their types', () => {
    assert.deepEqual(packed.map((p) => p.name).sort(), packageDirs.map((dir) => `@opensergo/${dir}`).sort());
    for (const p of packed) {
      const files = new Set(p.files.map((f) => f.path));
      for (const required of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
        assert.ok(files.has(required), `${p.name} has no ${required}`);
      }
      assert.ok(![...files].some((f) => f.startsWith('test/') || f.endsWith('.tsbuildinfo')), `${p.name} ships test or build files`);
    }
  });

  it('an Express app (ES module) serves the launch post’s example', async () => {
    await appServes(process.execPath, 'express-esm.mjs', app);
  });

  for (const version of ['current', ...lowestNodes]) {
    it(`an Express app in CommonJS (require) serves it on Node ${version === 'current' ? process.version : version}`, async () => {
      const node = version === 'current' ? process.execPath : join(nodes, 'node_modules', `node-${version}`, 'bin', 'node');
      const ran = succeeded(await run(node, ['--version'], app), `node ${version}`);
      if (version !== 'current') assert.equal(ran.stdout.trim(), `v${version}`);
      await appServes(node, 'express-cjs.cjs', app);
    });
  }

  it('a Koa app serves it', async () => {
    await appServes(process.execPath, 'koa.mjs', app);
  });

  it('a Fastify app serves it, registering the plugin by import or by require', async () => {
    await appServes(process.execPath, 'fastify.mjs', app);
    await appServes(process.execPath, 'fastify-cjs.cjs', app);
  });

  it('has one copy of each module whether required or imported, so core’s classes match everywhere', async () => {
    const ran = succeeded(await run(process.execPath, ['one-copy.cjs'], app), 'one-copy.cjs');
    assert.deepEqual(JSON.parse(ran.stdout), {
      core: true,
      express: true,
      koa: true,
      fastify: true,
      redis: true,
      'control-plane': true,
      errorIsCoreClass: true,
    });
  });

  it('compiles typed apps, the READMEs’ TypeScript snippets and the packages’ declarations under strict, module node16 and bundler, and the apps serve', async () => {
    assert.ok(snippets.length >= 5, `README snippets found: ${snippets.map((s) => s.name).join(', ')}`);
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    const projects = ['node16', 'bundler', 'declarations'];
    const compiled = await Promise.all(projects.map((name) => run(process.execPath, [tsc, '-p', `ts/tsconfig.${name}.json`], app)));
    compiled.forEach((ran, i) => succeeded(ran, `tsc -p ts/tsconfig.${projects[i]}.json`));
    await appServes(process.execPath, 'ts/out-node16/express.js', app);
    assert.equal((await appServes(process.execPath, 'ts/out-node16/express-cjs.cjs', app))['rules'], 1);
    await appServes(process.execPath, 'ts/out-node16/koa.js', app);
    assert.equal((await appServes(process.execPath, 'ts/out-bundler/fastify.js', app))['rules'], 1);
  });
});
