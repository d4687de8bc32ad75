import type { LocatedDocument } from './source.js';
import type { RuleProblem } from './types.js';

/** A path into a document: keys and list indexes. */
export type Path = readonly (string | number)[];

/**
 * Renders a path as users write it: `spec.strategies[0].name`, `spec.match[1].headers["x.y"]`.
 *
 * @example
 * ```ts
 * formatPath(['spec', 'strategies', 0, 'name']); // 'spec.strategies[0].name'
 * ```
 */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * Collects problems about one document, named `Kind/name` or `document N`.
 *
 * @example
 * ```ts
 * const sink = new ProblemSink(doc, 'RateLimitStrategy/foo');
 * sink.add(['spec', 'threshold'], 'expected a number ≥ 0, got "ten"');
 * ```
 */
export class ProblemSink {
  readonly problems: RuleProblem[] = [];

  constructor(
    readonly doc: LocatedDocument,
    public resource: string,
  ) {}

  /** Records that the value at `path` is wrong; points at `at` (default: `path` itself). */
  add(path: Path, message: string, at: Path = path): void {
    const { line, column } = this.doc.locate(at);
    this.problems.push({ file: this.doc.file, line, column, resource: this.resource, field: formatPath(path), message });
  }

  /** Whether a problem was already recorded at `path` or above/below it. */
  has(path: Path): boolean {
    const field = formatPath(path);
    return this.problems.some((p) => related(p.field, field));
  }
}

function related(a: string, b: string): boolean {
  const under = (x: string, y: string) => x === y || x.startsWith(`${y}.`) || x.startsWith(`${y}[`);
  return under(a, b) || under(b, a);
}
