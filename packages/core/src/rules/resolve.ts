import { closest } from './kinds.js';
import { STRATEGY_KINDS } from './schemas/fault-tolerance.js';
import type { Reference } from './normalise-fault-tolerance.js';
import type { ProblemSink } from './problems.js';
import type { SourceLocation } from './types.js';

/** A named definition a reference may reach (its value is `undefined` when the document is broken). */
export interface Definition<T> {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly location: SourceLocation;
  readonly value: T | undefined;
  readonly sink: ProblemSink;
}

/**
 * Indexes definitions by name for {@link resolveReference}, keeping the first definition of
 * each kind + namespace + name and reporting the others as defined twice (naming where the
 * first one is, which may be another file or source).
 *
 * @example
 * ```ts
 * const strategies = indexByName(definitions);
 * strategies.get('rate-limit-foo')?.length; // 1
 * ```
 */
export function indexByName<T>(definitions: readonly Definition<T>[]): Map<string, Definition<T>[]> {
  const first = new Map<string, Definition<T>>();
  const byName = new Map<string, Definition<T>[]>();
  for (const d of definitions) {
    const key = `${d.kind}\u0000${d.namespace ?? ''}\u0000${d.name}`;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, d);
      const same = byName.get(d.name);
      if (same) same.push(d);
      else byName.set(d.name, [d]);
      continue;
    }
    const where = d.namespace === undefined ? 'without namespace' : `in namespace "${d.namespace}"`;
    d.sink.add(['metadata', 'name'], `${d.kind} "${d.name}" is defined twice ${where}; the other definition is at ${at(earlier.location)}`);
  }
  return byName;
}

const FALLBACK_KINDS = ['HttpRequestFallbackAction'] as const;

/** Where a reference from a rule in `namespace` may land: definitions of its name, those it can reach, and those of a kind it accepts. */
function reach<T>(ref: Reference, namespace: string | undefined, pool: ReadonlyMap<string, readonly Definition<T>[]>, role: 'strategy' | 'fallback') {
  const kinds: readonly string[] = ref.kind !== undefined ? [ref.kind] : role === 'strategy' ? STRATEGY_KINDS : FALLBACK_KINDS;
  const named = pool.get(ref.name) ?? [];
  const reachable = named.filter((d) => d.namespace === undefined || d.namespace === namespace);
  const candidates = reachable.filter((d) => kinds.includes(d.kind));
  return { kinds, named, reachable, candidates };
}

/**
 * Whether nothing defines what `ref` names yet (no definition of an accepted kind it can
 * reach): what makes a rule from a source whose kinds arrive separately wait, not fail.
 *
 * @example
 * ```ts
 * if (isUnresolved(ref, 'prod', strategies, 'strategy')) waitsFor.push(ref.name);
 * ```
 */
export function isUnresolved<T>(
  ref: Reference,
  namespace: string | undefined,
  pool: ReadonlyMap<string, readonly Definition<T>[]>,
  role: 'strategy' | 'fallback',
): boolean {
  return reach(ref, namespace, pool, role).candidates.length === 0;
}

/**
 * Resolves a reference from a rule in `namespace` (docs/rules.md): by name, among definitions in
 * the same namespace or without namespace (a rule without namespace reaches only definitions
 * without namespace). Dangling and ambiguous references are recorded in `sink`.
 *
 * @example
 * ```ts
 * const strategy = resolveReference({ name: 'rate-limit-foo', kind: undefined, path }, 'prod', strategies, 'strategy', sink);
 * ```
 */
export function resolveReference<T>(
  ref: Reference,
  namespace: string | undefined,
  pool: ReadonlyMap<string, readonly Definition<T>[]>,
  role: 'strategy' | 'fallback',
  sink: ProblemSink,
): T | undefined {
  // The reference itself was refused (a wrong `kind`, a name that is no string): one problem is enough.
  if (sink.has(ref.path)) return undefined;
  const { kinds, named, reachable, candidates } = reach(ref, namespace, pool, role);
  const field = typeof ref.path.at(-1) === 'number' ? [...ref.path, 'name'] : ref.path;
  const what = ref.kind ?? (role === 'strategy' ? 'strategy' : 'fallback action');
  if (candidates.length === 1) return candidates[0]!.value;
  if (candidates.length > 1) {
    const list = candidates.map((d) => `${d.kind}/${d.name} ${d.namespace === undefined ? 'without namespace' : `in namespace "${d.namespace}"`} (${at(d.location)})`);
    const sameKind = new Set(candidates.map((d) => d.kind)).size === 1;
    const fix = sameKind ? 'rename one of them' : 'add kind to the reference';
    sink.add(field, `"${ref.name}" is ambiguous: it could mean ${list.join(' or ')}; ${fix}`);
    return undefined;
  }
  const where = namespace === undefined ? 'without namespace' : `in namespace "${namespace}" or without namespace`;
  const hints: string[] = [];
  const otherKind = reachable.find((d) => !kinds.includes(d.kind));
  if (otherKind) hints.push(`there is a ${otherKind.kind} with that name`);
  const otherNamespace = named.find((d) => kinds.includes(d.kind) && !reachable.includes(d));
  if (otherNamespace) {
    hints.push(
      namespace === undefined
        ? `one exists in namespace "${otherNamespace.namespace}", but a rule without namespace only reaches definitions without namespace`
        : `one exists in namespace "${otherNamespace.namespace}"`,
    );
  }
  if (hints.length === 0) {
    const guess = closestName(ref.name, pool, (d) => kinds.includes(d.kind) && (d.namespace === undefined || d.namespace === namespace));
    if (guess !== undefined) hints.push(`did you mean "${guess}"?`);
  }
  const hint = hints.length > 0 ? ` (${hints.join('; ')})` : '';
  sink.add(field, `no ${what} named "${ref.name}" ${where}${hint}`);
  return undefined;
}

/** The reachable name closest to a misspelt one, for "did you mean". */
function closestName<T>(name: string, pool: ReadonlyMap<string, readonly Definition<T>[]>, reachable: (d: Definition<T>) => boolean): string | undefined {
  const names: string[] = [];
  for (const [candidate, definitions] of pool) if (definitions.some(reachable)) names.push(candidate);
  return closest(name, names);
}

function at(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}
