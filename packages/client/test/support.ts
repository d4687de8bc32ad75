// Test support: plain node:http servers standing in for the instances of a callee. Each
// answers with who it is and the label headers it received.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  instance: string;
  path: string;
  host: string | null;
  baggage: string | null;
  traffic: string | null;
}

export interface Instance {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** How it answers: normally (200), with this status (say 500), or never ('hang'). */
  answer: number | 'hang';
  /** Requests it has received. */
  readonly hits: number;
  /** Stops accepting connections and drops open ones (as a killed process would). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

const header = (req: IncomingMessage, name: string): string | null => {
  const value = req.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};

/** A server answering `Seen` as JSON; `port` 0 picks a free one. */
export async function instance(name: string, port = 0): Promise<Instance> {
  let server: Server | undefined;
  const state = { answer: 200 as number | 'hang', hits: 0 };
  const listen = (at: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server = createServer((req, res) => {
        state.hits += 1;
        if (state.answer === 'hang') return;
        const seen: Seen = { instance: name, path: req.url ?? '', host: header(req, 'host'), baggage: header(req, 'baggage'), traffic: header(req, 'x-opensergo-traffic') };
        res.statusCode = state.answer;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(seen));
      });
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => resolve((server!.address() as AddressInfo).port));
    });
  const bound = await listen(port);
  return {
    name,
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    get answer() {
      return state.answer;
    },
    set answer(answer) {
      state.answer = answer;
    },
    get hits() {
      return state.hits;
    },
    stop: () =>
      new Promise((resolve) => {
        server!.closeAllConnections();
        server!.close(() => resolve());
      }),
    start: async () => void (await listen(bound)),
  };
}

/** Stops every instance, ignoring ones already stopped. */
export async function stopAll(instances: readonly Instance[]): Promise<void> {
  await Promise.all(instances.map((i) => i.stop().catch(() => {})));
}
