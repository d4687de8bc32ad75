import type { Logger } from '../logger.js';
import { defaultRouting, pathRouting, type PathRouting, type RouterSettings } from './path-routing.js';

/**
 * The routings an engine's requests arrive with: its default (the `caseSensitive` option) and
 * each adapter's. Every one gets a resource index when rules are compiled; `adopt` builds the
 * index of one that arrives later.
 */
export class Routings {
  /** By `PathRouting.key`; the rule compiler reads it. */
  readonly byKey = new Map<number, PathRouting>();
  /** For request views that carry no routing. */
  readonly fallback: PathRouting;
  private readonly warned = new Set<string>();

  constructor(
    /** The `caseSensitive` option as given (`undefined`: not given). */
    private readonly caseOption: boolean | undefined,
    private readonly logger: Logger,
    /** Builds the index of a routing for the rules in force. */
    private readonly index: (routing: PathRouting) => void,
  ) {
    this.fallback = defaultRouting(caseOption ?? false);
    this.byKey.set(this.fallback.key, this.fallback);
  }

  /** Registers `routing` (building its index for the rules in force) and returns it. */
  adopt(routing: PathRouting): PathRouting {
    if (!this.byKey.has(routing.key)) {
      this.byKey.set(routing.key, routing);
      this.index(routing);
    }
    return routing;
  }

  /** See `Engine.followRouter`. */
  follow(settings: RouterSettings, framework: string, caseSetting: string): PathRouting {
    const routing = this.adopt(pathRouting(settings));
    const option = this.caseOption;
    if (option !== undefined && option !== routing.caseSensitive && !this.warned.has(framework)) {
      this.warned.add(framework);
      this.logger.warn(
        `${framework} routes ${routing.caseSensitive ? 'case-sensitively' : 'ignoring case'} (${caseSetting}) but the OpenSergo caseSensitive option is ${option}: ` +
          `paths are matched as ${framework} routes them, so that every request it hands to a governed handler is counted`,
      );
    }
    return routing;
  }
}
