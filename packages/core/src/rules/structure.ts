import type { Path } from './problems.js';

/**
 * How deep a document may nest. The deepest OpenSergo field is about eight levels down
 * (`spec.http[0].match[0].headers.x.exact`); a `kind: List` adds two per level. Anything far
 * deeper is a mistake or an attack, and would only make every later step slower.
 */
export const MAX_DEPTH = 64;

/** How many `kind: List` documents may hold one another (`kubectl` prints one level). */
export const MAX_LIST_NESTING = 8;

/**
 * What is wrong with the shape of a document's value, if anything: nested more than
 * {@link MAX_DEPTH} levels, or containing itself (a YAML alias to its own ancestor, or a
 * cyclic object given in the `rules` option). Walks the value once, without recursion, so
 * that no input can exhaust the stack.
 *
 * @example
 * ```ts
 * const a: unknown[] = [];
 * a.push(a);
 * structureProblem({ spec: a }); // { path: ['spec', 0], message: 'contains itself …' }
 * ```
 */
export function structureProblem(value: unknown): { readonly path: Path; readonly message: string } | undefined {
  // Each entry: a collection, its path, and the collections above it (for cycles).
  const stack: { node: object; path: Path; depth: number }[] = [];
  const ancestors: object[] = [];
  if (isCollection(value)) stack.push({ node: value, path: [], depth: 0 });
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    ancestors.length = depth;
    if (ancestors.includes(node)) {
      return { path, message: `contains itself (a YAML alias to a mapping or list around it, or a cyclic object); write the value out` };
    }
    if (depth >= MAX_DEPTH) return { path, message: `nested more than ${MAX_DEPTH} levels deep; OpenSergo rules need a handful` };
    ancestors.push(node);
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (isCollection(child)) stack.push({ node: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return undefined;
}

function isCollection(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
