// Fastify adapter. Uses from core only: createEngine, requestView, exitWhenResponseEnds,
// answerWriteFailure, runRequest, fieldsBesideLength, and the types Decision, Engine, Entry, OpenSergoOptions, RequestContext, RouterSettings.
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  answerWriteFailure,
  createEngine,
  exitWhenResponseEnds,
  fieldsBesideLength,
  requestView,
  runRequest,
  type Decision,
  type Engine,
  type Entry,
  type OpenSergoOptions,
  type RequestContext,
  type RouterSettings,
} from '@opensergo/core';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by `@opensergo/fastify` in its `onRequest` hook: the request's resource and traffic
     * labels. Typed as present because handlers, and hooks after `onRequest`, run after it;
     * in an `onRequest` hook registered before the plugin it is still `null`.
     */
    opensergo: RequestContext;
  }
  interface FastifyInstance {
    /** The engine deciding for this instance (for `status()` and events). */
    opensergoEngine: Engine;
  }
}

type HookDone = (error?: Error) => void;

/**
 * Where a request keeps its decision: `request.opensergo` reads its context (through an
 * accessor on Fastify's request prototype, `null` until the hook ran), the `onError` hook its
 * entry. One plain property set by the hook, not a request decorator: Fastify sets every
 * decorator on every request it builds, through a megamorphic keyed store of ~200
 * instructions (callgrind, docs/benchmarks.md); and one rather than a property each for the
 * context and the entry, since each property added to a request is a map transition.
 */
const DECIDED = Symbol('opensergo.decision');
/** What `DECIDED` holds: a decision, or what `request.opensergo = …` set. */
interface Decided {
  readonly context: RequestContext;
  readonly entry?: Entry | undefined;
}
type Governed = FastifyRequest & { [DECIDED]?: Decided };

/** What Fastify gives a string body when no content-type is set (Fastify 4 and 5). */
const FASTIFY_TEXT = 'text/plain; charset=utf-8';

/**
 * Writes a fallback's headers through Fastify, but `content-length`, which Fastify sets from
 * the body (as it does for a handler's string), and `content-type` when it is the one Fastify
 * sets for a string anyway (Fastify parses a content-type it did not set on every `send`).
 * Each header costs a blocked request ~500 instructions (callgrind: Fastify lower-cases the
 * name, Node validates name and value by regular expression), so fewer is what makes a 429
 * cheaper. A header named `__proto__` goes to Node's response directly: Fastify keeps
 * headers in a plain object, where that name would set the object's prototype.
 */
function writeHeaders(reply: FastifyReply, fields: readonly string[]): void {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name === 'content-type' && value === FASTIFY_TEXT) continue;
    if (name === '__proto__') reply.raw.setHeader(name, value);
    else reply.header(name, value);
  }
}

function apply(decision: Decision, request: FastifyRequest, reply: FastifyReply, done: HookDone, engine: Engine): void {
  (request as Governed)[DECIDED] = decision;
  if (decision.type === 'block') {
    const { statusCode, body } = decision.response;
    try {
      writeHeaders(reply.code(statusCode), fieldsBesideLength(decision.response));
      reply.send(body);
    } catch (error) {
      reply.hijack();
      answerWriteFailure(reply.raw, decision.rule, error, engine.logger);
    }
    return;
  }
  if (decision.headers) reply.headers(decision.headers);
  if (decision.entry) exitWhenResponseEnds(reply.raw, decision.entry);
  runRequest(decision.context, request.raw, done);
}

/**
 * Applies a decision that had to wait (throttling, a remote store). A function of its own: V8
 * allocates what a function's closures capture on every call of it, so a closure in the hook
 * cost every request.
 */
function applyLater(pending: Promise<Decision>, request: FastifyRequest, reply: FastifyReply, done: HookDone, engine: Engine): void {
  pending.then((d) => apply(d, request, reply, done, engine), done);
}

/** Fastify's router settings: under `routerOptions` in Fastify 5, at the top level in Fastify 4. */
type InitialConfig = FastifyInstance['initialConfig'] & { routerOptions?: Record<string, unknown> };
type RouterKey = 'caseSensitive' | 'ignoreTrailingSlash' | 'ignoreDuplicateSlashes' | 'useSemicolonDelimiter';

function setting(config: InitialConfig, key: RouterKey): boolean {
  return (config.routerOptions?.[key] ?? (config as Record<string, unknown>)[key]) === true;
}

const caseSensitive = (config: InitialConfig): boolean => (config.routerOptions?.['caseSensitive'] ?? config.caseSensitive) !== false;

/** How find-my-way reads paths in this server; a parameter may be empty there (`/users/`). */
function routerSettings(config: InitialConfig): RouterSettings {
  return {
    caseSensitive: caseSensitive(config),
    ignoreTrailingSlash: setting(config, 'ignoreTrailingSlash'),
    ignoreDuplicateSlashes: setting(config, 'ignoreDuplicateSlashes'),
    semicolonDelimiter: setting(config, 'useSemicolonDelimiter'),
    emptyParams: true,
  };
}

const plugin: FastifyPluginCallback<OpenSergoOptions> = (fastify, options, pluginDone) => {
  let engine: Engine;
  try {
    engine = createEngine(options);
  } catch (error) {
    pluginDone(error as Error);
    return;
  }
  // Registered again below an instance that has it already: the decorations are there.
  if (!fastify.hasDecorator('opensergoEngine')) fastify.decorate('opensergoEngine', engine);
  if (!fastify.hasRequestDecorator('opensergo')) {
    fastify.decorateRequest('opensergo', {
      getter(this: FastifyRequest) {
        // `null` on a request the hook has not seen yet, as the type's comment says.
        return (this as Governed)[DECIDED]?.context ?? (null as unknown as RequestContext);
      },
      setter(this: FastifyRequest, value: RequestContext) {
        // Keeps the entry: the request's outcome is still reported to its rules.
        (this as Governed)[DECIDED] = { context: value, entry: (this as Governed)[DECIDED]?.entry };
      },
    });
  }
  // The same engine registered again where its hooks already run (a child context of one that
  // has it: Fastify copies a context's hooks into its children when it makes them) would decide
  // each request twice. Told apart here, once, by a mark on the instance, which a child context
  // inherits (it is made with `Object.create` of its parent), rather than by a mark on every
  // request: adding a property to a request cost each request a map transition.
  const governed = fastify as unknown as Record<symbol, boolean>;
  if (governed[engine.passedMark] === true) {
    pluginDone();
    return;
  }
  governed[engine.passedMark] = true;
  const routing = engine.followRouter(routerSettings(fastify.initialConfig), 'Fastify', `router option caseSensitive: ${caseSensitive(fastify.initialConfig)}`);
  fastify.addHook('onRequest', (request, reply, done) => {
    // `request` as the address source for every request: its `ip` is the client by the app's
    // `trustProxy`, and without one the socket's peer, the very address the engine reads
    // otherwise. Telling the two request classes apart (a prototype walk, once per class) cost
    // ~100 instructions per request (callgrind). `request.method`/`url` are getters over `raw`.
    const raw = request.raw;
    const decision = engine.enter(requestView(raw.method!, raw.url!, request.headers, raw.socket, undefined, routing, request));
    if (decision instanceof Promise) applyLater(decision, request, reply, done, engine);
    else apply(decision, request, reply, done, engine);
  });
  fastify.addHook('onError', (request, _reply, error, done) => {
    (request as Governed)[DECIDED]?.entry?.exit({ type: 'failed', error });
    done();
  });
  // An engine passed in by the user is theirs to close; one made here closes with the server.
  if (!options.engine) fastify.addHook('onClose', (_instance, done) => void engine.close().then(() => done(), done));
  pluginDone();
};

/**
 * OpenSergo governance for Fastify 4 and 5. `register` rejects with
 * `ERR_OPENSERGO_RULES_INVALID` when the rules are wrong, so the server never starts
 * half-configured.
 *
 * @example
 * ```js
 * import Fastify from 'fastify';
 * import { opensergo } from '@opensergo/fastify';
 * const app = Fastify();
 * await app.register(opensergo, { rulesFile: './opensergo.yaml' });
 * app.get('/foo', async (request) => ({ label: request.opensergo.trafficLabel }));
 * ```
 */
export const opensergo = fp(plugin, { fastify: '4.x || 5.x', name: '@opensergo/fastify' });
export default opensergo;

export type { OpenSergoOptions, RequestContext } from '@opensergo/core';
