import { defaultRouting, type PathRouting } from './path-routing.js';

/**
 * Request-path normalisation (docs/matching.md): the one place that decides which spellings of
 * a path are "the same resource". It reads a path the way the framework's router does (its
 * {@link PathRouting}), never folding what the router keeps apart, so a spelling the router
 * hands to a handler cannot dodge the rule that names it:
 *
 * - query string and fragment removed (and `;…` when the router cuts there); absolute-form
 *   URLs (`http://h/p`) reduced to the path
 * - percent escapes decoded as find-my-way decodes them (`decodeURI`), except the reserved
 *   characters `# $ & + , / : ; = ? @` and `%`, which stay encoded with upper-case hex (so an
 *   encoded `/` never splits a segment); an invalid escape stays as it is
 * - `.`, `..` and empty segments kept: no router resolves or drops them
 * - repeated `/` folded and one trailing `/` dropped only when the router does so
 * - lower-cased (Unicode) when the router ignores case
 */
export function normalisePath(url: string, routing: PathRouting | boolean): string {
  return normaliseRequestPath(url, typeof routing === 'boolean' ? defaultRouting(!routing) : routing);
}

/** {@link normalisePath} for a known routing: the engine's hot path. */
export function normaliseRequestPath(url: string, routing: PathRouting): string {
  // One scan decides; most paths need nothing but (maybe) lower-casing, and return as they are.
  const length = url.length;
  if (length === 0 || url.charCodeAt(0) !== 47 /* / */) return normaliseRequestPath(pathOfTarget(url), routing);
  const semicolon = routing.semicolonDelimiter;
  const slashes = routing.ignoreDuplicateSlashes;
  let end = length;
  let escaped = false;
  let doubled = false;
  let fold = false;
  for (let i = 0; i < length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */ || (c === 59 /* ; */ && semicolon)) {
      end = i;
      break;
    }
    if (c === 37 /* % */) escaped = true;
    else if (c === 47) {
      if (slashes && url.charCodeAt(i + 1) === 47) doubled = true;
    } else if ((c >= 65 && c <= 90) || c > 127) fold = true;
  }
  let path = end === length ? url : url.slice(0, end);
  if (escaped) {
    path = decodeEscapes(path);
    fold = true;
  }
  if (doubled) path = path.replace(/\/{2,}/g, '/');
  if (routing.ignoreTrailingSlash && path.length > 1 && path.charCodeAt(path.length - 1) === 47) path = path.slice(0, -1);
  if (path.length === 0) return '/';
  return fold && !routing.caseSensitive ? path.toLowerCase() : path;
}

/** The path of a request target that does not start with `/`: absolute form, or a bare path. */
function pathOfTarget(url: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  if (!scheme) return `/${url}`;
  const rest = url.slice(scheme[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;
/** What `decodeURI` leaves encoded, and `%` itself (so `%2525` never becomes `%25`, then `%`). */
const RESERVED = /[#$&+,/:;=?@%]/g;

const reencode = (ch: string): string => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

function decodeRun(run: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(run);
  } catch {
    return run.toUpperCase(); // not UTF-8: no router decodes it either
  }
  return decoded.replace(RESERVED, reencode);
}

function decodeEscapes(path: string): string {
  return path.replace(ESCAPES, decodeRun);
}
