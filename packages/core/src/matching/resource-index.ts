import type { Decision, RequestContext } from '../engine.js';
import type { FallbackTemplate } from '../fallback.js';
import type { OutcomeStats, RuleStats } from '../metrics/rule-stats.js';
import { NO_LABELS } from '../labels/traffic-labels.js';
import type { Guard, Ticket } from '../strategies/guard.js';
import { runSync, type Steps } from '../rules/steps.js';
import { normaliseRequestPath } from './normalise-path.js';
import { PathTable } from './path-table.js';
import { defaultRouting, type PathRouting } from './path-routing.js';
import { parsePatternFor, type ResourcePattern } from './resource-pattern.js';

/** One (target, strategy) pair of one rule, ready to check. */
export interface Binding {
  readonly pattern: ResourcePattern;
  readonly guard: Guard;
  /** The rule's fallback; `undefined` means the default for whichever strategy blocked. */
  readonly fallback: FallbackTemplate | undefined;
  /** `FaultToleranceRule/name`, for events and errors. */
  readonly rule: string;
  /** This pair's counters (kept across reloads while the rule applies it). */
  readonly stats: RuleStats;
  /** The rule (or the engine) is in dry run: a refusal is counted and reported, not enforced. */
  readonly dryRun: boolean;
}

/**
 * What a request matched: the bindings to check (in check order) and the resource name it
 * reports, which is the most specific matching target.
 */
export interface Route {
  readonly bindings: readonly Binding[];
  readonly resource: string;
  /** Higher is more specific: exact paths beat parameters, parameters beat `**`, deeper beats shallower, a method beats any method. */
  readonly specificity: number;
  /** The context of a request on this route that carries no traffic label (shared, frozen). */
  readonly unlabelled: RequestContext;
  /** The decision for such a request when no strategy tracks its outcome (shared, frozen). */
  readonly unlabelledPass: Decision;
  /**
   * The guards that must hear the outcome, for a request every guard admitted by handing
   * back itself (a closed breaker, a local limit): the entry's tickets, shared, not per request.
   */
  readonly ownTickets: readonly Ticket[];
  /** Where an admitted request's outcome is recorded: one per (target, rule) among the bindings. */
  readonly outcomes: readonly OutcomeStats[];
}

const tracksOutcome = (guard: Guard): boolean => (guard as Partial<Ticket>).tracksOutcome === true;

function makeRoute(bindings: readonly Binding[], resource: string, specificity: number): Route {
  // Built once per route, not per request: most requests carry no label, and a rate limit
  // alone needs no entry, so the admitting hot path allocates neither context nor decision.
  const unlabelled: RequestContext = Object.freeze({ resource, trafficLabel: undefined, trafficLabels: NO_LABELS });
  const unlabelledPass: Decision = Object.freeze({ type: 'pass', context: unlabelled, entry: undefined });
  // The arrays the hot path indexes are left unfrozen (typed readonly): an indexed read of a
  // frozen array went through V8's KeyedLoadIC builtin, ~80 instructions each (callgrind).
  const ownTickets = bindings.map((b) => b.guard).filter(tracksOutcome) as unknown as Ticket[];
  const outcomes = [...new Set(bindings.map((b) => b.stats.outcomes))];
  return Object.freeze({ bindings, resource, specificity, unlabelled, unlabelledPass, ownTickets, outcomes });
}

/** Routes of one path, per method, each merged with the any-method bindings and sorted. */
interface MethodTable {
  readonly any: Route | undefined;
  readonly byMethod: ReadonlyMap<string, Route>;
  /** `byMethod.get('GET')`: the usual request's route without a second map look-up (~80 instructions). */
  readonly get: Route | undefined;
  /** A static path that its routing's normalisation gives back unchanged (see `isNormalStatic`). */
  readonly normal: boolean;
}

interface TrieNode {
  readonly literals: Map<string, TrieNode>;
  param: TrieNode | undefined;
  end: Binding[] | undefined;
  rest: Binding[] | undefined;
  endTable?: MethodTable;
  restTable?: MethodTable;
}

const node = (): TrieNode => ({ literals: new Map(), param: undefined, end: undefined, rest: undefined });

function specificity(binding: Binding): number {
  const p = binding.pattern;
  const params = p.segments.filter((seg) => seg.type === 'param').length;
  return (p.isStatic ? 1_000_000 : 0) + (p.rest ? 0 : 100_000) + p.segments.length * 100 - params * 10 + (p.method ? 1 : 0);
}

function route(lists: readonly (readonly Binding[])[]): Route {
  const bindings = merge(lists);
  let best = bindings[0]!;
  let bestScore = specificity(best);
  for (const list of lists) {
    for (const binding of list) {
      const score = specificity(binding);
      if (score > bestScore) [best, bestScore] = [binding, score];
    }
  }
  return makeRoute(bindings, best.pattern.raw, bestScore);
}

function merge(lists: readonly (readonly Binding[])[]): readonly Binding[] {
  const seen = new Set<Guard>();
  const out: Binding[] = [];
  for (const list of lists) {
    for (const binding of list) {
      if (seen.has(binding.guard)) continue;
      seen.add(binding.guard);
      out.push(binding);
    }
  }
  // stable: same-order checks keep rule order. Not frozen, as `makeRoute` says.
  return out.sort((a, b) => a.guard.order - b.guard.order);
}

function table(bindings: readonly Binding[], normal = false): MethodTable {
  const anyList = bindings.filter((b) => b.pattern.method === undefined);
  const methods = new Set(bindings.flatMap((b) => (b.pattern.method ? [b.pattern.method] : [])));
  const byMethod = new Map<string, Route>();
  for (const method of methods) {
    byMethod.set(method, route([bindings.filter((b) => b.pattern.method === method), anyList]));
  }
  // Frameworks answer HEAD with the GET handler, so GET rules guard HEAD too.
  const get = byMethod.get('GET');
  if (get && !byMethod.has('HEAD')) byMethod.set('HEAD', get);
  return { any: anyList.length ? route([anyList]) : undefined, byMethod, get: byMethod.get('GET'), normal };
}

function pick(t: MethodTable, method: string): Route | undefined {
  return (method === 'GET' ? t.get : t.byMethod.get(method)) ?? t.any;
}

/**
 * Finds the bindings of a request by method and normalised path: static targets by one map
 * lookup, parameterised ones (`{id}`, `:id`, `*`, `**`) by a segment trie. The cost depends on
 * the path, never on how many rules exist for other resources. Targets are read the way
 * `routing` reads request paths (case, trailing and repeated `/`), so both agree.
 */
export class ResourceIndex {
  /** Static targets by path, looked up without hashing the request's path (see `PathTable`). */
  private statics = new PathTable<MethodTable>(0);
  private root: TrieNode | undefined;

  /** Indexes `bindings` at once; {@link ResourceIndex.build} does the same in steps. */
  constructor(
    bindings: readonly Binding[] = [],
    private readonly routing: PathRouting = defaultRouting(false),
  ) {
    runSync(this.fill(bindings));
  }

  /**
   * `new ResourceIndex(bindings)` in steps, pausing after each path (see `runSliced`).
   *
   * @example
   * ```ts
   * const index = await runSliced(ResourceIndex.build(bindings));
   * ```
   */
  static *build(bindings: readonly Binding[], routing?: PathRouting): Steps<ResourceIndex> {
    const index = new ResourceIndex([], routing);
    yield* index.fill(bindings);
    return index;
  }

  private *fill(bindings: readonly Binding[]): Steps<void> {
    const staticGroups = new Map<string, Binding[]>();
    let root: TrieNode | undefined;
    const shapes = new Map<string, ResourcePattern>();
    for (const binding of bindings) {
      const pattern = this.shape(binding.pattern, shapes);
      if (pattern.isStatic) {
        const group = staticGroups.get(pattern.path) ?? [];
        group.push(binding);
        staticGroups.set(pattern.path, group);
        continue;
      }
      root ??= node();
      let at = root;
      for (const segment of pattern.segments) {
        if (segment.type === 'param') at = at.param ??= node();
        else {
          let next = at.literals.get(segment.value);
          if (!next) at.literals.set(segment.value, (next = node()));
          at = next;
        }
      }
      if (pattern.rest) (at.rest ??= []).push(binding);
      else (at.end ??= []).push(binding);
    }
    yield;
    this.statics = new PathTable(staticGroups.size);
    for (const [path, group] of staticGroups) {
      this.statics.set(path, table(group, normaliseRequestPath(path, this.routing) === path));
      yield;
    }
    if (root) yield* finalise(root);
    this.root = root;
  }

  /** `pattern` as this index's routing reads it (the same object when it reads it so already). */
  private shape(pattern: ResourcePattern, shapes: Map<string, ResourcePattern>): ResourcePattern {
    if (pattern.routingKey === this.routing.key) return pattern;
    let shaped = shapes.get(pattern.raw);
    if (!shaped) {
      const parsed = parsePatternFor(pattern.raw, this.routing);
      shaped = typeof parsed === 'string' ? pattern : parsed;
      shapes.set(pattern.raw, shaped);
    }
    return shaped;
  }

  /**
   * Whether `url` is, as it stands, the path of a static target that normalising with this
   * index's routing gives back unchanged: normalising `url` would then return `url` itself.
   */
  isNormalStatic(url: string): boolean {
    return this.statics.get(url)?.normal === true;
  }

  /**
   * {@link ResourceIndex.lookup} of a request URL that {@link ResourceIndex.isNormalStatic}
   * holds for, which is its own normalised path: the engine's hot path, which skips normalising
   * (~330 instructions on the usual request, a path with no query) and looks `url` up once.
   * `false` when it does not hold (then normalise, and `lookup`).
   */
  lookupAsIs(method: string, url: string, emptyParams: boolean): Route | undefined | false {
    const exact = this.statics.get(url);
    if (exact?.normal !== true) return false;
    return this.find(exact, method, url, emptyParams);
  }

  /**
   * What guards `method path` (bindings in check order); `undefined` when nothing does.
   * `path` is normalised with this index's routing; `emptyParams`: a parameter matches an
   * empty segment.
   */
  lookup(method: string, path: string, emptyParams = this.routing.emptyParams): Route | undefined {
    return this.find(this.statics.get(path), method, path, emptyParams);
  }

  private find(exact: MethodTable | undefined, method: string, path: string, emptyParams: boolean): Route | undefined {
    const first = exact ? pick(exact, method) : undefined;
    if (!this.root) return first;
    const found: Route[] = first ? [first] : [];
    const segments = path === '/' ? [] : path.slice(1).split('/');
    walk(this.root, segments, 0, method, emptyParams, found);
    if (found.length <= 1) return found[0];
    let best = found[0]!;
    for (const r of found) if (r.specificity > best.specificity) best = r;
    return makeRoute(merge(found.map((r) => r.bindings)), best.resource, best.specificity);
  }
}

/**
 * The routes of free-form resource names (`db:orders.select`), matched as written: one per
 * name, its bindings merged and in check order.
 *
 * @example
 * ```ts
 * const routes = namedRoutes(bindings.filter((b) => b.pattern.scope === 'name'));
 * ```
 */
export function namedRoutes(bindings: readonly Binding[]): ReadonlyMap<string, Route> {
  const groups = new Map<string, Binding[]>();
  for (const binding of bindings) {
    const group = groups.get(binding.pattern.path);
    if (group) group.push(binding);
    else groups.set(binding.pattern.path, [binding]);
  }
  const routes = new Map<string, Route>();
  for (const [name, group] of groups) routes.set(name, route([group]));
  return routes;
}

function* finalise(at: TrieNode): Steps<void> {
  if (at.end) at.endTable = table(at.end);
  if (at.rest) at.restTable = table(at.rest);
  yield;
  for (const child of at.literals.values()) yield* finalise(child);
  if (at.param) yield* finalise(at.param);
}

function walk(at: TrieNode, segments: readonly string[], i: number, method: string, emptyParams: boolean, found: Route[]): void {
  if (at.restTable) {
    const list = pick(at.restTable, method);
    if (list) found.push(list);
  }
  if (i === segments.length) {
    if (at.endTable) {
      const list = pick(at.endTable, method);
      if (list) found.push(list);
    }
    return;
  }
  const segment = segments[i]!;
  const literal = at.literals.get(segment);
  if (literal) walk(literal, segments, i + 1, method, emptyParams, found);
  if (at.param && (emptyParams || segment !== '')) walk(at.param, segments, i + 1, method, emptyParams, found);
}
