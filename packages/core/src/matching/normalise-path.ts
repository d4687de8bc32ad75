/**
 * Request-path normalisation (docs/rules.md): the one place that decides which spellings of a
 * path are "the same resource". Every spelling a framework would route to the same handler
 * must normalise to the same string, or a rule could be dodged by re-spelling the URL.
 *
 * - query string and fragment removed; absolute-form URLs (`http://h/p`) reduced to the path
 * - `%XX` of unreserved characters (ALPHA DIGIT - . _ ~) decoded; other escapes kept, hex
 *   upper-cased (so `%2f` and `%2F` agree, and an encoded `/` never splits a segment)
 * - repeated `/` folded, `.` and `..` segments resolved (never above the root)
 * - trailing `/` dropped (the root stays `/`)
 * - lower-cased when `foldCase` (the default for matching)
 */
export function normalisePath(url: string, foldCase: boolean): string {
  // Fast path: most request paths need nothing but (maybe) lower-casing. One scan decides.
  const length = url.length;
  let clean = length > 0 && url.charCodeAt(0) === 47; // starts with '/'
  let upper = false;
  for (let i = 0; clean && i < length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 || c === 35) {
      // '?' or '#': the path ends here
      return normalisePath(url.slice(0, i), foldCase);
    }
    if (c === 37 /* % */ || c === 92 /* \ */) clean = false;
    else if (c === 47 /* / */) {
      const next = url.charCodeAt(i + 1);
      // '//', '/.', or a trailing '/' (but not the root itself)
      if (next === 47 || next === 46 || (i === length - 1 && i !== 0)) clean = false;
    } else if (c >= 65 && c <= 90) upper = true;
  }
  if (clean) return foldCase && upper ? url.toLowerCase() : url;
  return slowNormalise(url, foldCase);
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function decodeUnreserved(segment: string): string {
  if (segment.indexOf('%') === -1) return segment;
  return segment.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}

function slowNormalise(url: string, foldCase: boolean): string {
  let path = url;
  const cut = path.search(/[?#]/);
  if (cut !== -1) path = path.slice(0, cut);
  if (!path.startsWith('/')) {
    // absolute-form request target: scheme://authority/path
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(path);
    path = scheme ? path.slice(scheme[0].length) : `/${path}`;
  }
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    const segment = decodeUnreserved(raw);
    if (segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    out.push(segment);
  }
  const joined = `/${out.join('/')}`;
  return foldCase ? joined.toLowerCase() : joined;
}
