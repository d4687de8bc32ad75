// A small OpenSergo control plane for tests: a real grpc-js server speaking
// OpenSergoUniversalTransportService/SubscribeConfig with the package's own .proto files.
// It records every SubscribeRequest and pushes whatever a test asks it to; subclasses
// (reference-control-plane.ts) answer the requests as a given control plane would.
import { Server, ServerCredentials, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import { SUBSCRIBE_CONFIG_PATH, decodeMessage, encodeMessage, faultToleranceType, packAny, transportType } from '../src/proto.js';

export type Message = Record<string, unknown>;
export type Stream = ServerDuplexStream<Message, Message>;

const REQUEST = transportType('SubscribeRequest');
const RESPONSE = transportType('SubscribeResponse');

const service: ServiceDefinition = {
  subscribeConfig: {
    path: SUBSCRIBE_CONFIG_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: Message) => encodeMessage(REQUEST, m),
    requestDeserialize: (b: Buffer) => decodeMessage(REQUEST, b),
    responseSerialize: (m: Message) => encodeMessage(RESPONSE, m),
    responseDeserialize: (b: Buffer) => decodeMessage(RESPONSE, b),
    originalName: 'SubscribeConfig',
  },
};

/** A `google.protobuf.Any` holding a real `io.opensergo.proto.fault_tolerance.v1.<name>`. */
export function ftAny(name: string, value: Message): { type_url: string; value: Buffer } {
  return packAny(faultToleranceType(name), value);
}

interface Waiter {
  predicate: (request: Message) => boolean;
  resolve: (request: Message) => void;
}

export class TestControlPlane {
  /** Every SubscribeRequest received, over every stream, in order. */
  readonly requests: Message[] = [];
  /** How many streams have ended (closed by the client, cancelled, or broken), as this server saw it. */
  endedStreams = 0;
  protected readonly streams = new Set<Stream>();
  private readonly waiters: Waiter[] = [];
  private readonly endWaiters: { count: number; resolve: () => void }[] = [];
  private server: Server | undefined;
  port = 0;

  /** Listens on 127.0.0.1 (`port` 0 picks a free one). */
  async start(port = 0): Promise<this> {
    const server = new Server();
    server.addService(service, {
      subscribeConfig: (stream: Stream) => {
        this.streams.add(stream);
        stream.on('data', (request: Message) => {
          this.record(request);
          this.onRequest(stream, request);
        });
        const ended = (): void => {
          if (!this.streams.delete(stream)) return;
          this.onStreamEnd(stream);
          this.endedStreams++;
          for (const waiter of this.endWaiters.filter((w) => w.count <= this.endedStreams)) {
            this.endWaiters.splice(this.endWaiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        };
        stream.on('error', ended);
        stream.on('cancelled', ended);
        stream.on('end', () => {
          ended();
          stream.end();
        });
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    this.server = server;
    return this;
  }

  /** What this server does with a request, besides recording it (nothing: tests push by hand). */
  protected onRequest(_stream: Stream, _request: Message): void {}

  /** What this server does when it sees a stream end. */
  protected onStreamEnd(_stream: Stream): void {}

  /** Resolves once this server has seen `count` streams end in total. */
  waitForStreamEnds(count: number): Promise<void> {
    if (this.endedStreams >= count) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push({ count, resolve }));
  }

  /** Drops every connection at once, as a crashing control plane would. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
    this.streams.clear();
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Resolves with the first request (already received or still to come) that matches. */
  waitForRequest(predicate: (request: Message) => boolean): Promise<Message> {
    const found = this.requests.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  /** Resolves with the first `count` requests matching `predicate` after the first `after` requests, once they have arrived. */
  async waitForRequests(predicate: (request: Message) => boolean, count: number, after = 0): Promise<Message[]> {
    const matching = (): Message[] => this.requests.slice(after).filter(predicate);
    while (matching().length < count) {
      await new Promise<Message>((resolve) => this.waiters.push({ predicate: () => true, resolve }));
    }
    return matching().slice(0, count);
  }

  /** Resolves once `count` SUBSCRIBE requests have arrived after the first `after` requests. */
  waitForSubscriptions(count: number, after = 0): Promise<Message[]> {
    return this.waitForRequests((r) => r['target'] !== null && r['target'] !== undefined, count, after);
  }

  /** Resolves once the client has answered `count` pushes (ACK or NACK) after the first `after` requests. */
  waitForAnswers(count: number, after = 0): Promise<Message[]> {
    return this.waitForRequests((r) => r['responseAck'] === 'ACK' || r['responseAck'] === 'NACK', count, after);
  }

  /** Sends a SubscribeResponse on every open stream. */
  send(response: Message): void {
    for (const stream of this.streams) stream.write(response);
  }

  /** Pushes the whole list for one kind, as the reference control plane does. */
  push(options: { kind: string; data: unknown[]; version?: number; responseId: string; namespace?: string; app?: string }): void {
    this.send({
      status: { code: 1, message: 'Get and send rule success' },
      namespace: options.namespace ?? 'default',
      app: options.app ?? 'foo-app',
      kind: options.kind,
      dataWithVersion: { data: options.data, version: options.version ?? 1 },
      controlPlane: { identifier: 'osg-test' },
      responseId: options.responseId,
    });
  }

  /** The client's ACK/NACK for a push. */
  answerTo(responseId: string): Promise<Message> {
    return this.waitForRequest((r) => r['requestId'] === responseId && r['responseAck'] !== '');
  }

  private record(request: Message): void {
    this.requests.push(request);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(request)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(request);
      }
    }
  }
}
