import type { Decision, Engine } from '@opensergo/core';
import type { CallStep, OutgoingCall } from './call.js';

function apply(call: OutgoingCall, decision: Decision): void {
  if (decision.type === 'pass') {
    call.admission = decision.entry;
    return;
  }
  const { context, kind, rule, response } = decision;
  call.blocked = { resource: context.resource, kind, rule, response, context };
}

/**
 * The govern step (docs/outgoing.md): the call is decided against the FaultToleranceRules whose
 * targets name outgoing calls (`GET:http://backend/users/{id}`, `http://api.example.com/**`),
 * with the labels of the request it is made in. A refused call is marked `blocked` (the steps
 * after this one do not run; the transport answers it with the rule's fallback response); an
 * admitted one carries its `admission`, which the transport tells how the call ended. Waits
 * only under a ThrottlingStrategy (or a remote store).
 *
 * @example
 * ```ts
 * const steps = [propagate, governStep(engine), route];
 * ```
 */
export function governStep(engine: Engine): CallStep {
  return (call) => {
    const decided = engine.enterCall(call.method, call.protocol, call.host, call.path, call.context);
    if (decided === undefined) return undefined;
    if (decided instanceof Promise) return decided.then((decision) => apply(call, decision));
    apply(call, decided);
    return undefined;
  };
}
