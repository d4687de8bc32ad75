// What every package under packages/ must have to be published and used from npm, checked
// on the working tree so that a new package cannot slip (the checklist is CONTRIBUTING.md's
// "Adding a package"). packaging.test.ts then packs and installs them for real.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { brokenLink, linksOf, repo, repositoryUrl } from './markdown.js';

interface PackageJson {
  name?: string;
  version?: string;
  description?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  license?: string;
  type?: string;
  engines?: { node?: string };
  sideEffects?: boolean;
  main?: string;
  types?: string;
  exports?: Record<string, unknown>;
  files?: string[];
  scripts?: Record<string, string>;
  publishConfig?: { access?: string };
  private?: boolean;
  workspaces?: string[];
}

const read = <T>(path: string): T => JSON.parse(readFileSync(join(repo, path), 'utf8')) as T;
const root = read<PackageJson>('package.json');
const rootTsconfig = read<{ references: { path: string }[] }>('tsconfig.json');
const rootLicense = readFileSync(join(repo, 'LICENSE'), 'utf8');
const packageDirs = readdirSync(join(repo, 'packages')).filter((name) => !name.startsWith('.'));

/** The one shape of `exports["."]`: ES module and CommonJS, each with its types first. */
const ENTRY = {
  'opensergo-source': './src/index.ts',
  import: { types: './dist/index.d.ts', default: './dist/index.js' },
  require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
};

it('the root names the repository, the license and the Node versions every package declares', () => {
  assert.match(repositoryUrl, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
  assert.equal(root.license, 'Apache-2.0');
  assert.match(rootLicense, /Apache License\s+Version 2\.0, January 2004/);
  assert.ok(root.engines?.node, 'root package.json has engines.node');
});

for (const dir of packageDirs) {
  describe(`packages/${dir}`, () => {
    const path = `packages/${dir}`;
    const pkg = read<PackageJson>(`${path}/package.json`);

    it('is a workspace and a TypeScript project of the build', () => {
      assert.ok(root.workspaces?.includes(path), `root package.json workspaces lists ${path}`);
      assert.ok(
        rootTsconfig.references.some((ref) => ref.path === path),
        `root tsconfig.json references ${path} (scripts/build.js builds what it references)`,
      );
      assert.ok(existsSync(join(repo, path, 'src', 'index.ts')), `${path}/src/index.ts, the explicit index`);
    });

    it('has the package.json fields npm shows and resolvers read', () => {
      assert.equal(pkg.name, `@opensergo/${dir}`);
      assert.match(pkg.version ?? '', /^\d+\.\d+\.\d+/);
      assert.ok((pkg.description ?? '').length > 20, 'a description of what it does');
      assert.ok(pkg.keywords?.includes('opensergo'), 'keywords, including opensergo');
      assert.equal(pkg.license, 'Apache-2.0');
      assert.deepEqual(pkg.repository, { type: 'git', url: `git+${repositoryUrl}.git`, directory: path });
      assert.equal(pkg.homepage, `${repositoryUrl}/tree/main/${path}#readme`);
      assert.deepEqual(pkg.bugs, { url: `${repositoryUrl}/issues` });
      assert.equal(pkg.type, 'module');
      assert.deepEqual(pkg.engines, root.engines, 'the same engines as the root');
      assert.equal(pkg.sideEffects, false, 'importing a package runs nothing a bundler must keep');
      assert.deepEqual(pkg.publishConfig, { access: 'public' }, 'a scoped package is private on npm unless it says public');
      assert.equal(pkg.private, undefined);
    });

    it('exports the ES module and the CommonJS entry, each with its types first', () => {
      assert.deepEqual(pkg.exports, { '.': ENTRY, './package.json': './package.json' });
      for (const branch of [ENTRY.import, ENTRY.require]) assert.equal(Object.keys(branch)[0], 'types');
      assert.equal(pkg.main, ENTRY.import.default);
      assert.equal(pkg.types, ENTRY.import.types);
    });

    it('builds itself when packed, and ships what it builds', () => {
      assert.equal(pkg.scripts?.['prepack'], 'node ../../scripts/build.js .', 'prepack builds dist (and dist/cjs)');
      assert.ok(pkg.files?.includes('dist'), 'files includes dist');
      assert.ok(!pkg.files?.some((f) => f.startsWith('test')), 'files leaves the tests out');
    });

    it('has the Apache-2.0 LICENSE of the root', () => {
      assert.equal(readFileSync(join(repo, path, 'LICENSE'), 'utf8'), rootLicense);
    });

    it('has a README whose every link works on npm (absolute, and alive in this repository)', () => {
      const readme = readFileSync(join(repo, path, 'README.md'), 'utf8');
      assert.match(readme, new RegExp(`^# @opensergo/${dir}\\n`), 'starts with the package name');
      for (const section of ['## Install', '## License']) assert.ok(readme.includes(`\n${section}\n`), `has ${section}`);
      for (const { target, line } of linksOf(readme)) {
        const where = `${path}/README.md:${line} ${target}`;
        assert.ok(/^(https?:|#)/.test(target), `${where}: a relative link is dead on npm; link to ${repositoryUrl}/blob/main/…`);
        assert.equal(brokenLink(`${path}/README.md`, target), undefined, where);
      }
    });
  });
}
