import type { Clock } from '../clock.js';
import { heldBack, LogLimiter } from '../log-limiter.js';
import type { Logger } from '../logger.js';
import { MAX_LABEL_LENGTH, MAX_LABELS } from './label-token.js';
import type { DroppedLabel } from './traffic-labels.js';

/** A label as it can be shown in a log line: quoted, escaped (CR/LF stay visible and harmless), short. */
function shown(label: string): string {
  const text = JSON.stringify(label.length > 80 ? `${label.slice(0, 80)}…` : label);
  return label.length > 80 ? `${text} (${label.length} characters)` : text;
}

/**
 * Says when incoming labels are dropped (labels are tokens, at most eight: docs/rules.md, "Labels are tokens"): one
 * warning per header the first time, then at most one a minute, counting what it did not say.
 * A client sending hostile labels on every request cannot flood the log.
 *
 * @example
 * ```ts
 * const labeler = new TrafficLabeler(rules, true, true, reportDroppedLabels(logger, clock));
 * ```
 */
export function reportDroppedLabels(logger: Logger, clock: Clock): DroppedLabel {
  const limiter = new LogLimiter(() => clock.now());
  return (source, label, reason) => {
    const held = limiter.take(source);
    if (held === undefined) return;
    const why =
      reason === 'too many'
        ? `${shown(label)} came after ${MAX_LABELS} labels, the most a request carries`
        : `${shown(label)} is not a label token (1–${MAX_LABEL_LENGTH} visible ASCII characters, none of , ; = " \\ or space)`;
    logger.warn(`dropped an incoming traffic label from the ${source} header: ${why}; the request goes on without it${heldBack(held)}`);
  };
}
