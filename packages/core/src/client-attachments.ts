import type { Logger } from './logger.js';
import type { RuleSet } from './rules/types.js';

/**
 * The outgoing-call clients (`@opensergo/client`) using an engine. TrafficRouters act only on
 * calls made through one: when, once start-up (or a reload) is over, none uses the engine, each
 * router is said once to have no effect.
 */
export class ClientAttachments {
  private clients = 0;
  private readonly unrouted = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly closed: () => boolean,
  ) {}

  /** One more client; returns its detach function (idempotent). */
  attach(): () => void {
    this.clients++;
    let attached = true;
    return () => {
      if (attached) this.clients--;
      attached = false;
    };
  }

  /** After start-up and each reload: warn about routers no client will apply. */
  reportUnroutedRouters(ruleSet: RuleSet): void {
    if (ruleSet.trafficRouters.length === 0) return;
    setImmediate(() => {
      if (this.clients > 0 || this.closed()) return;
      for (const router of ruleSet.trafficRouters) {
        if (this.unrouted.has(router.name)) continue;
        this.unrouted.add(router.name);
        this.logger.warn(
          `TrafficRouter/${router.name} (hosts ${router.hosts.join(', ')}) is ignored: TrafficRouters route the outgoing calls ` +
            'made through @opensergo/client (createDispatcher or createAgent with this engine), and none uses this engine',
        );
      }
    }).unref();
  }
}
