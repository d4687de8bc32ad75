import { Agent, type AgentOptions as HttpAgentOptions, type ClientRequest, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { createConnection, type Socket } from 'node:net';
import { currentContext, OpenSergoError } from '@opensergo/core';
import { CallPath } from './call-path.js';
import { NodeCall } from './node-call.js';
import { answeringSocket, followCall } from './node-outcome.js';
import type { ClientOptions } from './options.js';

/** What `createAgent` returns: an `http.Agent`, and `close()` to stop it (and the engine it created, if any). */
export type OpenSergoHttpAgent = Agent & { close(): Promise<void> };

/** Options of `createAgent`: the client options, and node:http's own agent options. */
export interface AgentOptions extends ClientOptions {
  /** Passed to `http.Agent` (keep-alive is on by default). */
  readonly agent?: HttpAgentOptions;
}

const CALL = Symbol('opensergo.call');
type Options = Record<string | symbol, unknown> & { host?: string; hostname?: string; port?: number | string };
type OnCreate = (error: Error | null, socket: Duplex) => void;
/** Fails a request that has no socket yet, as node:http's own agent does when it cannot connect. */
const fail = (request: ClientRequest, error: Error): void =>
  (request as unknown as { onSocket(socket: null, error: Error): void }).onSocket(null, error);

const base = Agent.prototype as unknown as {
  addRequest(this: unknown, request: ClientRequest, options: Options): void;
  keepSocketAlive(this: unknown, socket: Duplex): boolean;
};

class OpenSergoAgent extends Agent {
  /** Sockets that reached another instance than their pool's: used once, never pooled. */
  private readonly failedOver = new WeakSet<Socket>();

  constructor(
    private readonly path: CallPath,
    options: HttpAgentOptions,
  ) {
    super({ keepAlive: true, ...options });
  }

  addRequest(request: ClientRequest, options: Options): void {
    let call: NodeCall;
    let pending: void | Promise<void>;
    try {
      call = new NodeCall(request, options, currentContext());
      pending = this.path.run(call);
    } catch (error) {
      fail(request, error as Error);
      return;
    }
    if (pending === undefined) return this.place(request, options, call);
    pending.then(
      () => this.place(request, options, call),
      (error: Error) => fail(request, error),
    );
  }

  private place(request: ClientRequest, options: Options, call: NodeCall): void {
    if (call.blocked !== undefined) {
      // Answered as if the callee had sent the fallback, without a connection.
      (request as unknown as { onSocket(socket: Duplex): void }).onSocket(answeringSocket(call.blocked.response, call.method));
      return;
    }
    if (call.admission !== undefined) followCall(request, call.admission);
    const endpoint = call.endpoint;
    if (endpoint === undefined) return base.addRequest.call(this, request, options);
    if (endpoint.protocol !== 'http:') {
      fail(
        request,
        new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `instance ${endpoint.origin} of "${call.callee}" is https: createAgent sends http only; use createDispatcher`),
      );
      return;
    }
    // createConnection may move the call to another instance: it counts for the one it reached.
    const attempt = this.path.attempt(call, true);
    if (attempt !== undefined) followCall(request, attempt);
    base.addRequest.call(this, request, { ...options, host: endpoint.hostname, hostname: endpoint.hostname, port: endpoint.port, [CALL]: call });
  }

  /** Connects to the call's instance; when it refuses, to the next one the call path chooses. */
  override createConnection(args: ClientRequestArgs, oncreate?: OnCreate): undefined {
    const options = args as Options;
    const done: OnCreate = oncreate ?? (() => {});
    const call = options[CALL] as NodeCall | undefined;
    const connect = (failedOver: boolean): void => {
      const endpoint = call?.endpoint;
      const socket = createConnection({ ...options, host: endpoint?.hostname ?? options.host, port: Number(endpoint?.port ?? options.port ?? 80) } as never);
      const refused = (error: Error): void => {
        socket.destroy();
        if (call === undefined) return done(error, socket);
        this.path.failover(call, error).then((retry) => (retry ? connect(true) : done(error, socket)), () => done(error, socket));
      };
      socket.once('error', refused);
      socket.once('connect', () => {
        socket.off('error', refused);
        if (failedOver) this.failedOver.add(socket);
        done(null, socket);
      });
    };
    connect(false);
    return undefined;
  }

  override keepSocketAlive(socket: Duplex): void {
    // node:http destroys the socket instead of pooling it when this returns false.
    return (!this.failedOver.has(socket as Socket) && base.keepSocketAlive.call(this, socket)) as unknown as void;
  }
}

/**
 * An `http.Agent` for node:http clients (axios, got, `http.request`) that governs their calls
 * like `createDispatcher` does for undici and fetch: the current request's labels go on every
 * call, and each call goes to an instance of its callee chosen by TrafficRouter or label routing.
 * It sends `http:` calls; for `https:` use `createDispatcher`.
 *
 * @example
 * ```js
 * import axios from 'axios';
 * import { createAgent } from '@opensergo/client';
 * const httpAgent = createAgent({ engine: governance.engine, instances: { backend: [{ url: 'http://127.0.0.1:4001' }] } });
 * const api = axios.create({ httpAgent, proxy: false });
 * // in a handler: await api.get('http://backend/users/7');
 * ```
 */
export function createAgent(options: AgentOptions = {}): OpenSergoHttpAgent {
  const path = new CallPath(options);
  const agent = new OpenSergoAgent(path, options.agent ?? {});
  return Object.assign(agent, {
    close: async () => {
      agent.destroy();
      await path.close();
    },
  });
}
