import { Client, Metadata, connectivityState, status as grpcStatus, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { OpenSergoError } from '@opensergo/core';
import type { KindVersion, RuleSource, RuleSourceSink, UpdateResult } from '@opensergo/core';
import { backoffDelay } from './backoff.js';
import { decodePush, type AnyMessage, type SubscriptionKey } from './decode.js';
import { KindLists } from './kind-lists.js';
import { resolveOptions, type ControlPlaneSourceOptions, type ResolvedOptions } from './options.js';
import { SUBSCRIBE_CONFIG_PATH, decodeMessage, encodeMessage, transportType } from './proto.js';

type Message = Record<string, unknown>;
type Call = ClientDuplexStream<Message, Message>;

/** Status codes of the transport protocol (the reference control plane's and the Go SDK's). */
const CODE_SUCCESS = 1;
/** The push could not be decoded. */
const CODE_FORMAT_ERROR = 4001;
/** The push decoded, but its rules were rejected. */
const CODE_HANDLER_ERROR = 4007;
/** A stream that stayed up this long, or brought any message, starts the backoff over. */
const STABLE_STREAM_MS = 10_000;
/**
 * The longest NACK message sent, in characters: a control plane takes at most 4 MB per message
 * (grpc-go's default), and a refusal of a huge push lists a problem per rule. The whole report
 * still reaches the engine's log and `rules:rejected`.
 */
const MAX_NACK_MESSAGE = 16 * 1024;

const REQUEST = transportType('SubscribeRequest');
const RESPONSE = transportType('SubscribeResponse');
const serialize = (request: Message): Buffer => encodeMessage(REQUEST, request);
const deserialize = (bytes: Buffer): Message => decodeMessage(RESPONSE, bytes);

class ControlPlaneSource implements RuleSource {
  readonly name: string;
  private readonly keys: readonly SubscriptionKey[];
  /** Each kind's latest list: replaced by every push, restored when a push is refused. */
  private readonly lists: KindLists;
  /** Each kind's version and time, as the engine last accepted them. */
  private inForce: Readonly<Record<string, KindVersion>>;
  /** request_id → kind, to say which subscription the server's answer is about. */
  private readonly requests = new Map<string, string>();
  private sink: RuleSourceSink | undefined;
  private client: Client | undefined;
  private call: Call | undefined;
  private callEnded: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private requestSeq = 0;
  /** Streams opened so far: each gets its own identifier (see `connect`). */
  private streamSeq = 0;
  private connectedAt: number | undefined;
  private reported: 'none' | 'connected' | 'disconnected' = 'none';
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Pushes are applied one at a time, in arrival order: each compiles against the one before. */
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly options: ResolvedOptions) {
    this.name = `control-plane:${options.endpoint}`;
    this.keys = options.kinds.map((kind) => Object.freeze({ namespace: options.namespace, app: options.app, kind }));
    this.lists = new KindLists(options.kinds, this.name);
    this.inForce = this.lists.versions();
  }

  kinds(): Readonly<Record<string, KindVersion>> {
    return this.inForce;
  }

  start(sink: RuleSourceSink): void {
    if (this.sink !== undefined || this.closed) {
      throw new OpenSergoError('ERR_OPENSERGO_CONTROL_PLANE', `${this.name}: start() may be called once, and not after close()`);
    }
    this.sink = sink;
    const { backoff, keepalive } = this.options;
    // The channel's own reconnection backoff follows ours, so a new stream is not held back by it.
    // Keepalive pings are what notice a control plane gone silent behind an idle connection.
    // No size limit on what we receive: a push is a kind's whole list, and one over gRPC's
    // default 4 MB would break the stream on every reconnect, starving the other kinds too.
    this.client = new Client(this.options.endpoint, this.options.credentials, {
      'grpc.max_receive_message_length': -1,
      'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': backoff.maxMs,
      ...(keepalive ? { 'grpc.keepalive_time_ms': keepalive.timeMs, 'grpc.keepalive_timeout_ms': keepalive.timeoutMs } : {}),
    });
    this.connect();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const call = this.call;
    this.call = undefined;
    if (call) {
      call.end();
      call.cancel();
    }
    await this.callEnded;
    await this.applying;
    this.client?.close();
  }

  private connect(): void {
    this.timer = undefined;
    if (this.closed || this.client === undefined) return;
    // No deadline: the stream is meant to live as long as the process. waitForReady: while the
    // control plane is unreachable the stream waits for the channel (which retries with our backoff).
    const metadata = new Metadata({ waitForReady: true });
    const call = this.client.makeBidiStreamRequest(SUBSCRIBE_CONFIG_PATH, serialize, deserialize, metadata, {});
    this.call = call;
    let received = false;
    this.callEnded = new Promise((resolve) => call.on('status', () => resolve()));
    call.on('data', (response: Message) => {
      if (call !== this.call) return;
      received = true;
      this.onResponse(call, response);
    });
    call.on('error', () => {}); // reported through 'status'
    call.on('status', (status: StatusObject) => {
      if (call === this.call) this.onStreamEnd(status, received);
    });
    this.requests.clear();
    // A fresh identifier per stream: the reference control plane files a stream under its
    // identifier only if none is filed yet, and forgets the identifier when an old stream ends,
    // so a reused one could leave the new stream without pushes.
    const identifier = `${this.options.identifier}#${++this.streamSeq}`;
    for (const key of this.keys) {
      const requestId = String(++this.requestSeq);
      this.requests.set(requestId, key.kind);
      const target = { namespace: key.namespace, app: key.app, kinds: [key.kind] };
      this.write(call, { target, opType: 'SUBSCRIBE', identifier, requestId });
    }
    this.watchChannel(call);
  }

  /**
   * Connection state comes from the channel: READY means the (waiting) stream is on its way;
   * TRANSIENT_FAILURE means the control plane cannot be reached, reported once until READY.
   */
  private watchChannel(call: Call): void {
    const channel = this.client?.getChannel();
    const check = (): void => {
      if (call !== this.call || this.closed || channel === undefined) return;
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return this.onConnected();
      if (state === connectivityState.TRANSIENT_FAILURE) {
        this.onDisconnected(`cannot reach the OpenSergo control plane at ${this.options.endpoint}`);
      }
      channel.watchConnectivityState(state, Infinity, check);
    };
    check();
  }

  private onConnected(): void {
    this.connectedAt = Date.now();
    if (this.reported === 'connected') return;
    this.reported = 'connected';
    this.options.logger.info(`connected to the OpenSergo control plane at ${this.options.endpoint}`);
    this.sink?.connected(this.options.endpoint);
  }

  private onStreamEnd(status: StatusObject, received: boolean): void {
    this.call = undefined;
    const stable = received || (this.connectedAt !== undefined && Date.now() - this.connectedAt >= STABLE_STREAM_MS);
    this.connectedAt = undefined;
    if (stable) this.attempt = 0;
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    const code = grpcStatus[status.code] ?? String(status.code);
    this.onDisconnected(`stream to the OpenSergo control plane at ${this.options.endpoint} ended (${code}: ${status.details})`);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }

  private onDisconnected(reason: string): void {
    if (this.reported === 'disconnected') return;
    this.reported = 'disconnected';
    this.options.logger.warn(`${reason}; the rules in force stay, reconnecting`);
    this.sink?.disconnected(reason);
  }

  private onResponse(call: Call, response: Message): void {
    const data = response['dataWithVersion'] as Message | null | undefined;
    // An answer to one of our requests carries `ack`, or no data; a push carries data and no `ack`.
    if (String(response['ack'] ?? '') !== '' || data === null || data === undefined) this.onAnswer(response);
    else this.onPush(call, response, data);
  }

  private onAnswer(response: Message): void {
    const status = (response['status'] ?? {}) as Message;
    const responseId = String(response['responseId'] ?? '');
    const kind = this.requests.get(responseId) ?? String(response['kind'] ?? '');
    if (status['code'] === CODE_SUCCESS) return;
    const message = String(status['message'] ?? '');
    this.options.logger.error(
      `the OpenSergo control plane answered the subscription to ${kind || '(unknown kind)'} with status ${String(status['code'] ?? 0)}${message ? `: ${message}` : ''}`,
    );
  }

  private onPush(call: Call, response: Message, data: Message): void {
    const responseId = String(response['responseId'] ?? '');
    const version = String(data['version'] ?? '0');
    const namespace = String(response['namespace'] ?? '');
    const app = String(response['app'] ?? '');
    const kind = String(response['kind'] ?? '');
    const key = this.keys.find(
      (k) => k.kind === kind && (namespace === '' || namespace === k.namespace) && (app === '' || app === k.app),
    );
    const decoded = key
      ? decodePush(key, (data['data'] ?? []) as AnyMessage[])
      : { ok: false as const, reason: `this client did not subscribe to (${namespace}, ${app}, ${kind})` };
    if (!key || !decoded.ok) {
      const reason = `push ${version} for ${kind || '(no kind)'} cannot be used: ${decoded.ok ? '' : decoded.reason}`;
      this.options.logger.warn(`${reason}; the rules in force stay`);
      this.sink?.error(new OpenSergoError('ERR_OPENSERGO_CONTROL_PLANE', reason));
      this.answer(call, responseId, CODE_FORMAT_ERROR, reason);
      return;
    }
    const values = decoded.values;
    this.applying = this.applying
      .then(() => this.apply(call, responseId, key.kind, values, version))
      .catch((err: unknown) => this.options.logger.error(`${this.name}: push ${version} could not be applied: ${String(err)}`));
  }

  /**
   * Puts one decoded push in force with the other kinds' lists. ACKed when the engine takes it,
   * including when a rule waits for a kind not received yet (the control plane cannot help the
   * order); NACKed, and the kind's previous list restored, when the engine refuses it.
   */
  private async apply(call: Call, responseId: string, kind: string, values: readonly unknown[], version: string): Promise<void> {
    if (this.closed) return;
    const restore = this.lists.replace(kind, values, version);
    const result = await this.update(version);
    if (result.ok) {
      this.inForce = this.lists.versions();
      this.answer(call, responseId, CODE_SUCCESS, '');
      return;
    }
    restore();
    this.answer(call, responseId, CODE_HANDLER_ERROR, result.error.message);
  }

  /**
   * Hands the union of every kind's list to the sink — compiled in slices when the sink can,
   * so that a push of thousands of rules does not stall requests in flight; a throwing sink
   * counts as a refusal.
   */
  private async update(version: string): Promise<UpdateResult> {
    const sink = this.sink;
    if (!sink) return { ok: true };
    try {
      const documents = this.lists.documents();
      const info = { version, referencesMayWait: true };
      return await (sink.updateSliced ? sink.updateSliced(documents, info) : sink.update(documents, info));
    } catch (err) {
      const error = new OpenSergoError('ERR_OPENSERGO_CONTROL_PLANE', `the rules sink threw: ${String(err)}`, { cause: err });
      return { ok: false, error };
    }
  }

  private answer(call: Call, requestId: string, code: number, message: string): void {
    const status = message === '' ? { code } : { code, message: shorten(message) };
    this.write(call, { responseAck: code === CODE_SUCCESS ? 'ACK' : 'NACK', status, requestId });
  }

  private write(call: Call, request: Message): void {
    if (call !== this.call || call.writableEnded || call.destroyed) return;
    call.write(request);
  }
}

/** A NACK message cut to whole lines within {@link MAX_NACK_MESSAGE}, saying how many lines were left out. */
function shorten(message: string): string {
  if (message.length <= MAX_NACK_MESSAGE) return message;
  const lines = message.split('\n');
  let kept = 0;
  let length = 0;
  while (kept < lines.length && length + lines[kept]!.length + 1 <= MAX_NACK_MESSAGE) length += lines[kept++]!.length + 1;
  if (kept === 0) return `${message.slice(0, MAX_NACK_MESSAGE)}… (${message.length - MAX_NACK_MESSAGE} more characters)`;
  return `${lines.slice(0, kept).join('\n')}\n… and ${lines.length - kept} more lines`;
}

/**
 * A rule source fed by the OpenSergo control plane over its transport protocol: one gRPC
 * stream (`OpenSergoUniversalTransportService/SubscribeConfig`), one subscription per kind
 * for this process's namespace and app. Each push replaces that kind's list and the union of
 * every kind's latest list goes to the engine, whatever order the kinds arrive in (a rule
 * naming a strategy not received yet waits for it); pushes are ACKed when the engine takes
 * them and NACKed (previous rules kept) when they cannot be decoded or are refused. A lost
 * stream (or one whose keepalive pings go unanswered) is reopened with capped exponential
 * backoff, under a fresh identifier, and every kind subscribed again.
 *
 * @throws OpenSergoError `ERR_OPENSERGO_OPTIONS_INVALID` when an option is invalid (all problems listed).
 *
 * @example
 * ```ts
 * import { createControlPlaneSource } from '@opensergo/control-plane';
 *
 * const source = createControlPlaneSource({ endpoint: '127.0.0.1:10246', namespace: 'default', app: 'foo-app' });
 * source.start({
 *   update: (documents, info) => (console.log(documents.length, 'documents, version', info?.version), { ok: true }),
 *   connected: (endpoint) => console.log('connected to', endpoint),
 *   disconnected: (reason) => console.log('disconnected:', reason),
 *   error: (error) => console.error(error.message),
 * });
 * await source.close();
 * ```
 */
export function createControlPlaneSource(options: ControlPlaneSourceOptions): RuleSource {
  return new ControlPlaneSource(resolveOptions(options));
}
