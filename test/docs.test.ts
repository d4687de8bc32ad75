// The documentation stands on its own: every link in the repository's Markdown leads
// somewhere that exists, no page (nor a JSDoc comment users see in their editor) sends users
// to a file outside the repository, and the README's options table lists every option the
// engine takes.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { brokenLink, linksOf, repo } from './markdown.js';
import { typeScriptFiles } from './repo-files.js';

const markdownFiles = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ...readdirSync(join(repo, 'packages')).map((dir) => `packages/${dir}/README.md`),
];
const text = (file: string): string => readFileSync(join(repo, file), 'utf8');

it('every link in the Markdown leads to a file and heading that exist', () => {
  const broken = markdownFiles.flatMap((file) =>
    linksOf(text(file)).flatMap(({ target, line }) => {
      const problem = brokenLink(file, target);
      return problem ? [`${file}:${line} ${target}: ${problem}`] : [];
    }),
  );
  assert.deepEqual(broken, []);
});

it('no page, and no comment in the sources the packages ship, points at a file outside the repository', () => {
  const outside = /\b(SPEC|DESIGN|STYLE)\b|\/work\/|seeds\//;
  const shipped = readdirSync(join(repo, 'packages')).flatMap((dir) => typeScriptFiles(`packages/${dir}/src`));
  const found = [...markdownFiles, ...shipped].flatMap((file) =>
    text(file)
      .split('\n')
      .flatMap((line, i) => (outside.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(found, []);
});

it('the README options table has a row for every option of OpenSergoOptions', () => {
  const source = text('packages/core/src/options.ts');
  const body = /export interface OpenSergoOptions \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
  const options = [...body.matchAll(/^\s+readonly (\w+)\??:/gm)].map((m) => m[1]!);
  assert.ok(options.length >= 10, `options found in options.ts: ${options.join(', ')}`);
  const table = /\n## Options\n([\s\S]*?)\n## /.exec(text('README.md'))?.[1] ?? '';
  const rows = new Set([...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!));
  assert.deepEqual(options.filter((option) => !rows.has(option)), [], 'options without a row in README.md ## Options');
});
