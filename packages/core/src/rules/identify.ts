import { describe } from './duration.js';
import { closest, GROUPS, KIND_API_VERSION } from './kinds.js';
import { rec, str } from './normalise-common.js';
import { ProblemSink, type Path } from './problems.js';
import { MAX_LIST_NESTING, structureProblem } from './structure.js';
import type { LocatedDocument } from './source.js';
import type { OpenSergoKind } from './types.js';

/**
 * What the head of a document (apiVersion, kind, metadata.name) says about it. A broken
 * document keeps its name, when it has one, so that references to it are not also reported
 * as dangling (its own problem says what to fix).
 */
export type Identity =
  | { readonly type: 'skip' }
  | { readonly type: 'broken'; readonly sink: ProblemSink; readonly name: string | undefined }
  | { readonly type: 'resource'; readonly kind: OpenSergoKind; readonly sink: ProblemSink };

/**
 * Decides whether a document is an OpenSergo resource. Other API groups are skipped
 * silently; an unknown kind or version inside an OpenSergo group, or an apiVersion that
 * looks like a misspelt OpenSergo group, is a problem (a typo is never ignored).
 *
 * @example
 * ```ts
 * identify({ value: { apiVersion: 'apps/v1', kind: 'Deployment' }, file: 'a.yaml', index: 1, locate }); // { type: 'skip' }
 * ```
 */
export function identify(doc: LocatedDocument): Identity {
  const value = doc.value;
  const head = rec(value);
  const kind = str(head['kind']);
  const name = str(rec(head['metadata'])['name']);
  const sink = new ProblemSink(doc, kind && name ? `${kind}/${name}` : `document ${doc.index}`);
  const broken = (path: Path, message: string, at: Path = path): Identity => {
    sink.add(path, message, at);
    return { type: 'broken', sink, name };
  };
  // Its syntax problem is already reported.
  if (doc.unreadable) return { type: 'broken', sink, name };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return broken([], `expected an OpenSergo resource (a mapping with apiVersion, kind, metadata, spec), got ${describe(value)}`);
  }
  const apiVersion = head['apiVersion'];
  const knownKind = kind === undefined ? undefined : KIND_API_VERSION.get(kind);
  if (typeof apiVersion !== 'string') {
    const expected = knownKind ?? 'an API version such as fault-tolerance.opensergo.io/v1alpha1';
    return apiVersion === undefined
      ? broken(['apiVersion'], `missing; expected ${expected}`, [])
      : broken(['apiVersion'], `expected ${expected}, got ${describe(apiVersion)}`);
  }
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const known = GROUPS[group];
  if (kind === 'List' || (known !== undefined && kind?.endsWith('List'))) {
    const shape = structureProblem(value);
    if (shape) return broken(shape.path, shape.message);
    // A list that reached here with its items holds lists too deeply to be expanded.
    if (Array.isArray(head['items'])) return broken(['items'], `holds lists inside lists more than ${MAX_LIST_NESTING} deep; put the resources in one list`, []);
    return broken(['items'], `expected items: a list of resources, got ${describe(head['items'])}`, []);
  }
  if (known === undefined) {
    const typo = group === '' ? undefined : closest(group, Object.keys(GROUPS));
    if (typo !== undefined) return broken(['apiVersion'], `unknown API group "${group}" (did you mean "${typo}"?)`);
    // An OpenSergo kind under a group that is OpenSergo-looking, or under no real CRD group at
    // all (`v1`, a bare `v1alpha1`, `fault-tolerance/v1alpha1`: the domain left out; only
    // Kubernetes' built-in groups have no dot, and none of them has these kinds).
    if (knownKind !== undefined && (group.includes('opensergo') || !group.includes('.'))) {
      return broken(['apiVersion'], `expected ${knownKind} for kind ${kind}, got ${describe(apiVersion)}`);
    }
    return { type: 'skip' };
  }
  if (!known.versions.includes(version)) {
    return broken(['apiVersion'], `unknown version "${version}" of ${group}; expected ${known.versions.map((v) => `${group}/${v}`).join(' or ')}`);
  }
  if (kind === undefined) {
    return head['kind'] === undefined
      ? broken(['kind'], `missing; expected one of ${known.kinds.join(', ')}`, [])
      : broken(['kind'], `expected one of ${known.kinds.join(', ')}, got ${describe(head['kind'])}`);
  }
  if (!(known.kinds as readonly string[]).includes(kind)) {
    if (knownKind !== undefined) return broken(['apiVersion'], `kind ${kind} belongs to ${knownKind}, not ${apiVersion}`);
    const guess = closest(kind, known.kinds);
    const hint = guess ? `did you mean "${guess}"?` : `expected one of ${known.kinds.join(', ')}`;
    return broken(['kind'], `unknown kind "${kind}" in ${group} (${hint})`);
  }
  const shape = structureProblem(value);
  if (shape) return broken(shape.path, shape.message);
  return { type: 'resource', kind: kind as OpenSergoKind, sink };
}
