import type { Reference } from './normalise-fault-tolerance.js';

/**
 * Names meant by documents that could not be read as resources (a YAML syntax error, a
 * misspelt kind or apiVersion). Each such document already has its problem; a reference to
 * one of these names is not also reported as dangling, which would send the user after a
 * second mistake that is not there. A broken document whose name could not be read at all
 * covers every reference: any of them may have meant it. Either way the rules are rejected,
 * and once the document is fixed its references are checked again.
 *
 * @example
 * ```ts
 * const broken = new BrokenNames();
 * broken.add('rate-limit-foo');
 * broken.covers({ name: 'rate-limit-foo', kind: undefined, path: [] }); // true
 * ```
 */
export class BrokenNames {
  private readonly names = new Set<string>();
  private anonymous = false;

  add(name: string | undefined): void {
    if (name === undefined) this.anonymous = true;
    else this.names.add(name);
  }

  covers(ref: Reference): boolean {
    return this.anonymous || this.names.has(ref.name);
  }
}
