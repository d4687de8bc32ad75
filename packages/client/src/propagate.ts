import { checkLabels, labelMember, withLabelMember, LABEL_HEADER } from '@opensergo/core';
import { NO_LABELS, type OutgoingCall } from './call.js';

/** The labels a call outside any request carries by itself; refused unless they are tokens. */
function ownLabels(call: OutgoingCall): readonly string[] {
  const baggage = call.header('baggage');
  const written = call.header(LABEL_HEADER) ?? (baggage === undefined ? undefined : labelMember(baggage));
  if (written === undefined) return NO_LABELS;
  const labels = written.split(',').map((label) => label.trim()).filter((label) => label !== '');
  checkLabels(labels);
  return labels;
}

/**
 * The propagate step (docs/routing.md): a call made in a governed request carries that request's
 * labels, and only those, in `x-opensergo-traffic` and in the `OpenSergo-Label` member of
 * `baggage` (other baggage members kept). Label headers the caller passed along (a gateway
 * forwarding an outside client's headers) are replaced, so no one outside chooses a lane. A
 * call outside any request keeps the labels written on it, which must be label tokens
 * (`ERR_OPENSERGO_LABEL_INVALID` otherwise).
 *
 * @example
 * ```ts
 * const steps = [propagate, route];
 * ```
 */
export function propagate(call: OutgoingCall): void {
  const context = call.context;
  if (context === undefined) {
    call.labels = ownLabels(call);
    return;
  }
  const labels = context.trafficLabels;
  call.labels = labels;
  const baggage = call.header('baggage');
  if (labels.length === 0) {
    if (call.header(LABEL_HEADER) !== undefined) call.setHeader(LABEL_HEADER, undefined);
    if (baggage !== undefined && labelMember(baggage) !== undefined) call.setHeader('baggage', withLabelMember(baggage, labels));
    return;
  }
  call.setHeader(LABEL_HEADER, labels.join(','));
  call.setHeader('baggage', withLabelMember(baggage, labels));
}
