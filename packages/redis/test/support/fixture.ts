// What the single-process Redis tests share: stores and engines made for a test file and
// closed after it, its keys deleted, and a counter of the script calls a client makes.
import { Redis, type RedisOptions } from 'ioredis';
import { createEngine, requestView, type Decision, type Engine, type FakeClock } from '@opensergo/core';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '@opensergo/redis';

export const quiet = { info() {}, warn() {}, error() {} };

export interface Fixture {
  /** The file's admin connection (open between `open` and `close`). */
  readonly redis: Redis;
  /**
   * A store under the file's key prefix. The timeout is generous: these tests are about what
   * Redis decides, and on a loaded machine a 50 ms hiccup would (by design) decide locally.
   */
  store(options?: RedisStoreOptions, client?: Redis): RedisStore;
  /**
   * A client of the test's own, disconnected by `close` whatever happens: one left open by a
   * failed assertion would keep the test process alive, and the run would hang, not fail.
   */
  client(options?: RedisOptions): Redis;
  engine(text: string, store: RedisStore, app: string, clock?: FakeClock): Engine;
  open(): void;
  /** Closes every engine and store made, deletes the prefix's keys, disconnects. */
  close(): Promise<void>;
}

export function fixture(url: string | undefined, prefix: string): Fixture {
  const stores: RedisStore[] = [];
  const engines: Engine[] = [];
  const clients: Redis[] = [];
  let redis: Redis | undefined;
  return {
    get redis() {
      return redis!;
    },
    store(options = {}, client) {
      const made = createRedisStore(client ? { client } : { url: url! }, { keyPrefix: prefix, logger: quiet, timeoutMs: 1000, ...options });
      stores.push(made);
      return made;
    },
    client(options = {}) {
      const made = new Redis(url!, options);
      clients.push(made);
      return made;
    },
    engine(text, store, app, clock) {
      const made = createEngine({ rules: text, store, app, logger: false, ...(clock ? { clock } : {}) });
      engines.push(made);
      return made;
    },
    open() {
      redis = new Redis(url!);
    },
    async close() {
      for (const e of engines) await e.close();
      for (const s of stores) await s.close();
      const keys = await redis!.keys(`${prefix}*`);
      if (keys.length) await redis!.del(...keys);
      redis!.disconnect();
      for (const client of clients) client.disconnect();
    },
  };
}

/** Counts the script calls `client` makes (on keys containing `keyPart`, if given). */
export function counted(client: Redis, keyPart = ''): { readonly calls: number } {
  const counter = { calls: 0 };
  const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args) => {
    if (String(args[2]).includes(keyPart)) counter.calls += 1;
    return evalsha(...args);
  };
  return counter;
}

export const enter = (e: Engine, path: string): Decision | Promise<Decision> => e.enter(requestView('GET', path, {}));
export const all = (e: Engine, path: string, n: number): Promise<Decision[]> =>
  Promise.all(Array.from({ length: n }, () => enter(e, path)));
export const passed = (decisions: readonly Decision[]): number => decisions.filter((d) => d.type === 'pass').length;
