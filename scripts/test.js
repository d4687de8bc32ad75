// Runs every test file of the repository with node's built-in test runner.
// Tests import the TypeScript sources directly (the `opensergo-source` export condition)
// through tsx, so a test run never depends on a stale build; `npm test` type-checks first.
// Usage: node scripts/test.js [substring filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function collect(dir, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) collect(join(root, 'packages', pkg, 'test'), files);
collect(join(root, 'test'), files);
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // --test-timeout bounds each test and each file: a file whose process never exits (a handle
  // left open after a failure) fails after 10 minutes instead of holding the run until CI's
  // limit. The slowest file takes about 2 minutes on a loaded 2-core machine.
  ['--conditions=opensergo-source', '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...selected.sort()],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
