// Files of the repository, for tests that read its sources.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './markdown.js';

/** Every `.ts` file under `dir` (relative to the repository), as paths relative to it; none when `dir` does not exist. */
export function typeScriptFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(repo, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) =>
    entry.isDirectory() ? (entry.name === 'node_modules' || entry.name === 'dist' ? [] : typeScriptFiles(`${dir}/${entry.name}`)) : entry.name.endsWith('.ts') ? [`${dir}/${entry.name}`] : [],
  );
}
