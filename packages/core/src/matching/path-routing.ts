/**
 * How a framework's router reads a request path: which spellings it hands to one handler.
 * Adapters read it from the framework's own settings and the engine matches the same way, so
 * that every request routed to a governed handler is counted (docs/matching.md).
 */
export interface RouterSettings {
  /** `false`: case is folded (Unicode lower case of the decoded path). */
  readonly caseSensitive: boolean;
  /** One trailing `/` is ignored (`/foo/` is `/foo`). */
  readonly ignoreTrailingSlash: boolean;
  /** Runs of `/` count as one (`//foo` is `/foo`). */
  readonly ignoreDuplicateSlashes: boolean;
  /** `;` ends the path, as `?` does (`/foo;x=1` is `/foo`). */
  readonly semicolonDelimiter: boolean;
  /** A parameter matches an empty segment (`/users/` reaches `/users/:id`). */
  readonly emptyParams: boolean;
}

/** {@link RouterSettings} made ready for matching (see {@link pathRouting}). */
export interface PathRouting extends RouterSettings {
  /** The settings that shape a path (all but `emptyParams`) as bits: one resource index per key. */
  readonly key: number;
}

const known = new Map<string, PathRouting>();

/**
 * The frozen routing for `settings`; equal settings give the same object.
 *
 * @example
 * ```ts
 * import { pathRouting, requestView } from '@opensergo/core';
 * const routing = pathRouting({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, semicolonDelimiter: false, emptyParams: true });
 * const view = requestView('GET', '/users/', {}, undefined, undefined, routing); // reaches `/users/{id}`, as on Fastify
 * ```
 */
export function pathRouting(settings: RouterSettings): PathRouting {
  const key =
    (settings.caseSensitive ? 1 : 0) |
    (settings.ignoreTrailingSlash ? 2 : 0) |
    (settings.ignoreDuplicateSlashes ? 4 : 0) |
    (settings.semicolonDelimiter ? 8 : 0);
  const id = `${key}:${settings.emptyParams}`;
  let routing = known.get(id);
  if (!routing) {
    const { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, semicolonDelimiter, emptyParams } = settings;
    routing = Object.freeze({ caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, semicolonDelimiter, emptyParams, key });
    known.set(id, routing);
  }
  return routing;
}

/**
 * What the engine assumes when an adapter says nothing (a request view made without a
 * routing): Express's and @koa/router's defaults, with case as the `caseSensitive` option says.
 */
export function defaultRouting(caseSensitive: boolean): PathRouting {
  return pathRouting({ caseSensitive, ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, semicolonDelimiter: false, emptyParams: false });
}

/** The number of distinct {@link PathRouting.key} values. */
export const ROUTING_KEYS = 16;
