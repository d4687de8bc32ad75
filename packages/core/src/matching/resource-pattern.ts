import { normalisePath } from './normalise-path.js';

/** One segment of a resource pattern. */
export type PatternSegment =
  | { readonly type: 'literal'; readonly value: string }
  | { readonly type: 'param'; readonly name: string };

/**
 * A parsed `targetResourceName` (docs/rules.md): `/path` (any method) or `METHOD:/path`, where a
 * segment `{name}`, `:name` or `*` matches one path segment and a final `**` the rest.
 */
export interface ResourcePattern {
  /** As written in the rule; also the resource name handlers see. */
  readonly raw: string;
  /** Upper-case method, or `undefined` for any method. */
  readonly method: string | undefined;
  /** The normalised path part (case folded unless case-sensitive). */
  readonly path: string;
  readonly segments: readonly PatternSegment[];
  /** Ends in `**`: matches any number (≥ 0) of further segments. */
  readonly rest: boolean;
  /** No params and no `**`: matched by exact lookup. */
  readonly isStatic: boolean;
}

const METHOD = /^([A-Za-z]+):(\/.*)$/;
const PARAM = /^(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|:([A-Za-z_][A-Za-z0-9_]*)|\*)$/;

/**
 * Parses a resource name; returns a message saying what was expected when it is not one.
 *
 * @example
 * ```ts
 * const p = parseResourcePattern('GET:/users/{id}');
 * if (typeof p !== 'string') console.log(p.method, p.segments.length); // GET 2
 * ```
 */
export function parseResourcePattern(raw: string, caseSensitive = false): ResourcePattern | string {
  let method: string | undefined;
  let pathPart = raw;
  const withMethod = METHOD.exec(raw);
  if (withMethod) {
    method = withMethod[1]!.toUpperCase();
    pathPart = withMethod[2]!;
  }
  if (!pathPart.startsWith('/')) {
    return 'expected a path starting with "/" or "METHOD:/path" (e.g. "/foo", "GET:/users/{id}")';
  }
  if (/[?#]/.test(pathPart)) return 'expected a path without query string or fragment';
  const path = normalisePath(pathPart, !caseSensitive);
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments: PatternSegment[] = [];
  let rest = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '**') {
      if (i !== parts.length - 1) return 'expected "**" only as the last segment';
      rest = true;
      continue;
    }
    if (part.includes('**')) return 'expected "**" to be a whole segment';
    const param = PARAM.exec(part);
    if (param) {
      segments.push({ type: 'param', name: param[1] ?? param[2] ?? '*' });
      continue;
    }
    if (/[{}*]/.test(part) || (part.startsWith(':') && part.length > 1)) {
      return `expected a parameter to be a whole segment ("{id}", ":id" or "*"), got "${part}"`;
    }
    segments.push({ type: 'literal', value: part });
  }
  const isStatic = !rest && segments.every((s) => s.type === 'literal');
  return { raw, method, path, segments, rest, isStatic };
}
