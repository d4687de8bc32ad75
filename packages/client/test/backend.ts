// Test support: one local server standing in for a callee whose behaviour a test switches:
// answering at once, slowly (advancing the engine's fake clock before answering), with 500s,
// holding calls open until the test lets them go, or dropping the connection (before or after
// the response's headers).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeClock } from '@opensergo/core';

export type Mode = 'ok' | 'slow' | 'fail' | 'hold' | 'hold-body' | 'drop' | 'cut';

export interface Backend {
  readonly url: string;
  readonly port: number;
  mode: Mode;
  /** Calls that reached the server. */
  hits: number;
  /** Responses held open ('hold': nothing sent yet; 'hold-body': headers and a first chunk sent). */
  readonly held: ServerResponse[];
  /** Resolves once `n` responses are held. */
  holding(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function backend(clock?: FakeClock): Promise<Backend> {
  const state = { mode: 'ok' as Mode, hits: 0, held: [] as ServerResponse[] };
  const server = createServer((req, res) => {
    state.hits++;
    req.resume();
    switch (state.mode) {
      case 'ok':
        return void res.end('from backend');
      case 'slow':
        clock?.advance(300);
        return void res.end('slow answer');
      case 'fail':
        res.statusCode = 500;
        return void res.end('backend broke');
      case 'hold':
        return void state.held.push(res);
      case 'hold-body':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('x'.repeat(64 * 1024));
        return void state.held.push(res);
      case 'drop':
        return void req.socket.destroy();
      case 'cut':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.write('x'.repeat(1024), () => req.socket.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    holding: async (n: number) => {
      for (let i = 0; i < 2000 && state.held.length < n; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      if (state.held.length < n) throw new Error(`only ${state.held.length} of ${n} calls reached the backend`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
