import type { Cluster, Redis } from 'ioredis';
import type { Script } from './scripts.js';

/** An ioredis client: a single node or a Cluster. */
export type RedisClient = Redis | Cluster;

/** A decision took longer than the bound; the caller decided locally. */
export class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Scripting is switched off on this server (rename-command, ACL): not a transient fault. */
export function isScriptingForbidden(error: unknown): boolean {
  return /unknown command|NOPERM|no permissions/i.test(message(error));
}

/**
 * The user may run scripts but not touch the store's keys (an ACL key pattern that leaves them
 * out): `NOPERM this user has no permissions to access one of the keys used as arguments`.
 */
export function isKeyAccessRefused(error: unknown): boolean {
  return /NOPERM.*\bkeys?\b/i.test(message(error));
}

const isNoScript = (error: unknown): boolean => message(error).startsWith('NOSCRIPT');

/**
 * Runs a script by its SHA (one round trip). After a Redis restart or `SCRIPT FLUSH` the
 * server answers NOSCRIPT: then `EVAL` runs it and caches it on the node that owns the key
 * (Cluster-safe); a server that renamed EVAL away gets `SCRIPT LOAD` + `EVALSHA` instead.
 */
export function runScript(
  client: RedisClient,
  script: Script,
  key: string | readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  // Several keys of one script share a hash tag (keys.ts), so one node owns them all.
  const keys = typeof key === 'string' ? [key] : key;
  return client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!isNoScript(error)) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args).catch(async (evalError: unknown) => {
      if (!isScriptingForbidden(evalError)) throw evalError;
      await loadScripts(client, [script]);
      return client.evalsha(script.sha, keys.length, ...keys, ...args);
    });
  });
}

/** `SCRIPT LOAD` on every node that may own a key (every master of a Cluster). */
export async function loadScripts(client: RedisClient, scripts: readonly Script[]): Promise<void> {
  const nodes: readonly Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  await Promise.all(nodes.flatMap((node) => scripts.map((s) => node.script('LOAD', s.source))));
}

/**
 * Settles with `promise`, or rejects with RedisTimeoutError after `ms`. A reply that comes
 * after the deadline goes to `late` (e.g. to give back a permit nobody will use).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, late?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new RedisTimeoutError(ms));
    }, ms);
    promise.then(
      (value) => {
        if (settled) return late?.(value);
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export { message as errorMessage };
