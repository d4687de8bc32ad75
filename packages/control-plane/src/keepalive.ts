/**
 * gRPC keepalive: every `timeMs` the client pings the control plane, and drops the connection
 * (then reconnects) when no answer comes within `timeoutMs`. That is how a control plane that
 * vanished without closing the connection is noticed on an idle stream.
 *
 * @example
 * ```ts
 * import { createControlPlaneSource, type KeepaliveOptions } from '@opensergo/control-plane';
 *
 * // Ping no more than every 5 minutes: what a grpc-go server accepts by default without complaint.
 * const keepalive: KeepaliveOptions = { timeMs: 300_000, timeoutMs: 20_000 };
 * await createControlPlaneSource({ endpoint: '127.0.0.1:10246', namespace: 'default', app: 'foo-app', keepalive }).close();
 * ```
 */
export interface KeepaliveOptions {
  /** Time between pings, in milliseconds. */
  readonly timeMs: number;
  /** How long a ping may go unanswered before the connection is dropped, in milliseconds. */
  readonly timeoutMs: number;
}

/** A dead control plane is noticed within 30 s. */
export const DEFAULT_KEEPALIVE: KeepaliveOptions = Object.freeze({ timeMs: 20_000, timeoutMs: 10_000 });
