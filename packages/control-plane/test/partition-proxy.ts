// A TCP proxy between a client and a server that can cut the connections it carries without
// closing them, as a network partition does: neither side hears anything more, nor learns
// that the other has gone. Connections opened afterwards go through.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  cut: boolean;
}

export class PartitionProxy {
  private readonly pairs = new Set<Pair>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const pair: Pair = { client, upstream, cut: false };
      this.pairs.add(pair);
      client.on('data', (chunk) => pair.cut || upstream.write(chunk));
      upstream.on('data', (chunk) => pair.cut || client.write(chunk));
      // Once cut, a side that closes is not heard of by the other.
      client.on('close', () => pair.cut || upstream.destroy());
      upstream.on('close', () => pair.cut || client.destroy());
      client.on('error', () => {});
      upstream.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Cuts every connection open now. */
  partition(): void {
    for (const pair of this.pairs) pair.cut = true;
  }

  /** Closes the server's side of the cut connections: the server then sees them end. */
  releaseCut(): void {
    for (const pair of this.pairs) {
      if (!pair.cut) continue;
      pair.upstream.destroy();
      pair.client.destroy();
      this.pairs.delete(pair);
    }
  }

  stop(): void {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    this.server?.close();
  }
}
