// A TCP proxy in front of a Redis that adds a delay to every chunk in each direction, to
// make a Redis slow (from start-up, or for a while) without touching the server.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface SlowProxy {
  readonly port: number;
  readonly url: string;
  /** Added to each direction: a round trip gets 2 × this. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startSlowProxy(targetPort: number, delayMs = 0): Promise<SlowProxy> {
  const sockets = new Set<Socket>();
  const forward = (from: Socket, to: Socket, proxy: { delayMs: number }): void => {
    // Chunks keep their order when the delay changes: none is released before an earlier one.
    let last = 0;
    from.on('data', (chunk) => {
      const now = performance.now();
      last = Math.max(now + proxy.delayMs, last);
      if (last <= now) to.write(chunk);
      else setTimeout(() => to.writable && to.write(chunk), last - now);
    });
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const state = { delayMs };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    forward(client, upstream, state);
    forward(upstream, client, state);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
