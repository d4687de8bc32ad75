import type { ServerResponse } from 'node:http';
import { heldBack, LogLimiter } from './log-limiter.js';
import type { Logger } from './logger.js';

const BODY = 'Internal Server Error\n';
/** One limiter per logger (so per engine), made on first need: failures are rare, and never on the hot path. */
const limiters = new WeakMap<Logger, LogLimiter>();

/**
 * Ends a response whose blocked answer could not be written (Node refused a header, a stream
 * broke): a plain 500 when nothing was sent yet, else the connection is cut so the client sees
 * a broken response rather than waiting. The failure is logged through `logger`, once per rule
 * and then at most once a minute. Adapters call it instead of letting the error escape: a
 * throw inside a promise callback would be an unhandled rejection, which exits the process.
 *
 * @example
 * ```ts
 * import { answerWriteFailure } from '@opensergo/core';
 * try {
 *   res.writeHead(decision.response.statusCode, decision.response.headers);
 *   res.end(decision.response.body);
 * } catch (error) {
 *   answerWriteFailure(res, decision.rule, error, engine.logger);
 * }
 * ```
 */
export function answerWriteFailure(res: ServerResponse, rule: string, error: unknown, logger: Logger): void {
  let limiter = limiters.get(logger);
  if (limiter === undefined) limiters.set(logger, (limiter = new LogLimiter(() => performance.now())));
  const held = limiter.take(rule);
  const reason = error instanceof Error ? error.message : String(error);
  if (held !== undefined) logger.error(`could not write the response of ${rule} (${reason}); answered 500 instead${heldBack(held)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(BODY.length) });
  res.end(res.req?.method === 'HEAD' ? undefined : BODY);
}
