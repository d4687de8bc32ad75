/** One live instance of an app, as a discovery source reports it (docs/routing.md). */
export interface Instance {
  /** Where it listens: `http://10.0.0.5:8080` (scheme, host, port). */
  readonly url: string;
  /** Its workload labels (docs/routing.md): a call labelled `gray` goes to an instance labelled `gray`. */
  readonly labels: readonly string[];
  /** Its attributes (`version`, `zone`…); `version` or `subset` also put it in a TrafficRouter subset. */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Where the live instances of the apps a service calls come from: a static list, the Redis
 * instance registry (`@opensergo/redis`), or your own (Consul, Kubernetes endpoints…).
 *
 * @example
 * ```ts
 * import type { Discovery } from '@opensergo/core';
 * const discovery: Discovery = {
 *   name: 'fixed',
 *   instances: (app) => (app === 'backend' ? [{ url: 'http://127.0.0.1:4001', labels: [], attributes: {} }] : undefined),
 * };
 * ```
 */
export interface Discovery {
  /** For log lines and errors, e.g. `static`, `redis`. */
  readonly name: string;
  /**
   * The live instances of `app`, or `undefined` when this source does not know `app` (a call
   * to a host no source knows is sent unchanged). An empty list means the app is known and has
   * no live instance (the call fails with `ERR_OPENSERGO_NO_INSTANCE`). Called for every call:
   * answer from memory; return a promise only when the answer must be fetched first.
   */
  instances(app: string): readonly Instance[] | undefined | Promise<readonly Instance[] | undefined>;
}
