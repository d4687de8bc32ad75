// Reading the repository's Markdown as GitHub and npm show it: links, headings' anchors, and
// where a link to this repository's own address points in the working tree.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const rootPackage = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { repository: { url: string } };
/** `https://github.com/<owner>/<name>`, from the root package.json's `repository`. */
export const repositoryUrl = rootPackage.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

export interface Link {
  readonly target: string;
  readonly line: number;
}

/** Every inline link and image of a Markdown text, outside code blocks and code spans. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: match[1]!, line: i + 1 });
  });
  return links;
}

/** The anchors GitHub gives a Markdown file's headings (`## Options` → `options`). */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const text of markdown.split('\n')) {
    if (/^\s*```/.test(text)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = heading[1]!
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * What is wrong with a link from `file` (a path inside the repository), or `undefined` when
 * it works: a relative link must name an existing file (and heading); a link to this
 * repository's address must name an existing path on its main branch (and heading).
 */
export function brokenLink(file: string, target: string): string | undefined {
  let path: string;
  let anchor: string | undefined;
  if (target.startsWith(repositoryUrl)) {
    const rest = target.slice(repositoryUrl.length);
    if (/^\/issues(\/\d+)?$/.test(rest)) return undefined;
    const match = /^(?:\/(?:blob|tree)\/main\/([^#]*))?\/?(?:#(.*))?$/.exec(rest);
    if (!match) return `not a link to the main branch of ${repositoryUrl}`;
    path = match[1] || (match[2] === undefined ? '' : 'README.md');
    anchor = match[2];
  } else if (/^[a-z]+:/i.test(target)) {
    return undefined; // another site: not checked here (no network in tests)
  } else {
    const [pathPart, anchorPart] = target.split('#', 2) as [string, string | undefined];
    path = pathPart === '' ? file : relative(repo, resolve(repo, dirname(file), decodeURIComponent(pathPart)));
    anchor = anchorPart;
    if (path.startsWith('..')) return 'points outside the repository';
  }
  const full = join(repo, path);
  if (!existsSync(full)) return `${path} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(full).isDirectory()) return `${path} is a folder: it has no heading #${anchor}`;
  return anchorsOf(readFileSync(full, 'utf8')).has(anchor) ? undefined : `${path} has no heading #${anchor}`;
}
