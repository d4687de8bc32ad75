// Fastify adapter. Uses from core only: createEngine, requestView, exitWhenResponseCloses,
// answerWriteFailure, runRequest, and the types Decision, Engine, Entry, OpenSergoOptions, RequestContext.
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  answerWriteFailure,
  createEngine,
  exitWhenResponseCloses,
  requestView,
  runRequest,
  type Decision,
  type Engine,
  type Entry,
  type FallbackResponse,
  type OpenSergoOptions,
  type RequestContext,
} from '@opensergo/core';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by `@opensergo/fastify` in its `onRequest` hook: the request's resource and traffic
     * labels. Typed as present because handlers, and hooks after `onRequest`, run after it;
     * in an `onRequest` hook registered before the plugin it is still `null`.
     */
    opensergo: RequestContext;
    opensergoEntry: Entry | null;
  }
  interface FastifyInstance {
    /** The engine deciding for this instance (for `status()` and events). */
    opensergoEngine: Engine;
  }
}

type HookDone = (error?: Error) => void;

/** What Fastify gives a string body when no content-type is set (Fastify 4 and 5). */
const FASTIFY_TEXT = 'text/plain; charset=utf-8';

/**
 * A fallback's headers as handed to Fastify: without `content-type` when it is the one Fastify
 * sets for a string anyway (Fastify parses a content-type it did not set on every `send`, which
 * made a blocked request cost about what the bare handler does), and a header named
 * `__proto__` apart: Fastify keeps headers in a plain object, where that name would set the
 * object's prototype, so it goes to Node's response directly. Computed once per fallback
 * response (the engine builds each once per Retry-After value).
 */
interface ReplyHeaders {
  readonly headers: Readonly<Record<string, string>>;
  readonly proto: string | undefined;
}
const replyHeaders = new WeakMap<FallbackResponse, ReplyHeaders>();

function headersFor(response: FallbackResponse): ReplyHeaders {
  let prepared = replyHeaders.get(response);
  if (!prepared) {
    // Built anew rather than with `delete`, which would leave V8 a slow dictionary-mode object.
    const entries = Object.entries(response.headers).filter(([name, value]) => !(name === 'content-type' && value === FASTIFY_TEXT));
    const proto = entries.find(([name]) => name === '__proto__')?.[1];
    const headers = Object.fromEntries(entries.filter(([name]) => name !== '__proto__'));
    prepared = { headers, proto };
    replyHeaders.set(response, prepared);
  }
  return prepared;
}

function apply(decision: Decision, request: FastifyRequest, reply: FastifyReply, done: HookDone, engine: Engine): void {
  request.opensergo = decision.context;
  if (decision.type === 'block') {
    const { statusCode, body } = decision.response;
    try {
      const { headers, proto } = headersFor(decision.response);
      if (proto !== undefined) reply.raw.setHeader('__proto__', proto);
      reply.code(statusCode).headers(headers).send(body);
    } catch (error) {
      reply.hijack();
      answerWriteFailure(reply.raw, decision.rule, error, engine.logger);
    }
    return;
  }
  if (decision.headers) reply.headers(decision.headers);
  if (decision.entry) {
    request.opensergoEntry = decision.entry;
    exitWhenResponseCloses(reply.raw, decision.entry);
  }
  runRequest(decision.context, request.raw, done);
}

const plugin: FastifyPluginCallback<OpenSergoOptions> = (fastify, options, pluginDone) => {
  let engine: Engine;
  try {
    engine = createEngine(options);
  } catch (error) {
    pluginDone(error as Error);
    return;
  }
  fastify.decorate('opensergoEngine', engine);
  fastify.decorateRequest('opensergo', null, []);
  fastify.decorateRequest('opensergoEntry', null);
  fastify.addHook('onRequest', (request, reply, done) => {
    const decision = engine.enter(requestView(request.method, request.url, request.headers));
    if (decision instanceof Promise) decision.then((d) => apply(d, request, reply, done, engine), done);
    else apply(decision, request, reply, done, engine);
  });
  fastify.addHook('onError', (request, _reply, error, done) => {
    request.opensergoEntry?.exit({ type: 'failed', error });
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
