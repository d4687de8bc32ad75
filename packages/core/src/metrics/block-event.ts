import type { RequestContext } from '../engine.js';
import type { BlockEvent } from '../events.js';
import type { Binding } from '../matching/resource-index.js';
import type { Block } from '../strategies/guard.js';

/** The payload of `request:blocked` / `request:would-block`; built only when someone listens. */
export function blockEvent(binding: Binding, block: Block, context: RequestContext): BlockEvent {
  const { resource: target, rule, strategy } = binding.stats;
  return {
    resource: context.resource,
    target,
    rule,
    strategy,
    kind: block.kind,
    trafficLabels: context.trafficLabels,
    clientKey: block.clientKey,
    retryAfterMs: block.retryAfterMs,
  };
}
