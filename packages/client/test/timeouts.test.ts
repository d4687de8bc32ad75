// How a call ends when the callee is too slow or the caller gives up (SPEC §7: the circuit
// breaker counts the callee's timeouts): the same through every client. A timeout is a failure,
// the caller's (`AbortSignal.timeout()`) or the transport's own; an abort, whatever its reason,
// is not the callee's fault. The backend never answers (or stops after the headers); the
// timeouts are short and real, and the assertions are on counts, never on time.
import assert from 'node:assert/strict';
import http from 'node:http';
import { afterEach, describe, it } from 'node:test';
import axios from 'axios';
import { Agent, fetch, request } from 'undici';
import { createEngine, FakeClock } from '@opensergo/core';
import { concurrency, rule, rules } from '../../core/test/helpers/yaml.js';
import { createAgent, createDispatcher, type ClientOptions } from '../src/index.js';
import { backend, type Backend } from './backend.js';

/** How the caller ends a call: a signal, the transport's own timeout (ms), and a hook on the response's headers. */
interface Ending {
  readonly signal?: AbortSignal;
  readonly timeout?: number;
  readonly onHeaders?: () => void;
}

interface Transport {
  readonly name: string;
  /** Makes a call, reading its body to the end: settles when the call has ended. */
  call(url: string, ending: Ending): Promise<unknown>;
  close(): Promise<void>;
}

function undiciTransport(name: 'fetch' | 'undici request', options: ClientOptions): Transport {
  const plain = createDispatcher(options);
  // the transport's own timeouts: undici's headers and body timeouts
  const timed = createDispatcher({ ...options, dispatcher: new Agent({ headersTimeout: 20, bodyTimeout: 20 }) });
  const dispatcherFor = (ending: Ending) => (ending.timeout === undefined ? plain : timed);
  const signal = (ending: Ending) => (ending.signal ? { signal: ending.signal } : {});
  return {
    name,
    call:
      name === 'fetch'
        ? async (url, ending) => {
            const response = await fetch(url, { dispatcher: dispatcherFor(ending), ...signal(ending) });
            ending.onHeaders?.();
            return response.text();
          }
        : async (url, ending) => {
            const response = await request(url, { dispatcher: dispatcherFor(ending), ...signal(ending) });
            ending.onHeaders?.();
            return response.body.text();
          },
    close: async () => void (await Promise.all([plain.close(), timed.close()])),
  };
}

function httpTransport(options: ClientOptions): Transport {
  const agent = createAgent(options);
  return {
    name: 'http.request',
    call: (url, ending) =>
      new Promise((resolve, reject) => {
        const req = http.request(url, { agent, ...(ending.signal ? { signal: ending.signal } : {}), ...(ending.timeout ? { timeout: ending.timeout } : {}) }, (res) => {
          ending.onHeaders?.();
          res.resume();
          res.once('end', resolve);
          res.once('error', reject);
          res.once('close', () => reject(new Error('closed before its end')));
        });
        // node:http's timeout only says so: the caller destroys the request
        req.once('timeout', () => req.destroy());
        req.once('error', reject);
        req.end();
      }),
    close: () => agent.close(),
  };
}

function axiosTransport(options: ClientOptions): Transport {
  const httpAgent = createAgent(options);
  return {
    name: 'axios',
    call: (url, ending) =>
      axios.get(url, {
        httpAgent,
        proxy: false,
        ...(ending.signal ? { signal: ending.signal } : {}),
        ...(ending.timeout ? { timeout: ending.timeout } : {}),
        // the first chunk of the body: the headers have come
        ...(ending.onHeaders ? { onDownloadProgress: ending.onHeaders } : {}),
      }),
    close: () => httpAgent.close(),
  };
}

const TRANSPORTS: Readonly<Record<string, (o: ClientOptions) => Transport>> = {
  fetch: (o) => undiciTransport('fetch', o),
  'undici request': (o) => undiciTransport('undici request', o),
  'http.request': httpTransport,
  axios: axiosTransport,
};

const opened: { close(): Promise<void> }[] = [];
afterEach(() => Promise.all(opened.splice(0).map((o) => o.close())));

async function setup(make: (o: ClientOptions) => Transport) {
  const server = await backend();
  const yaml = rules(concurrency('many', 100), rule('followed', ['http://backend/**'], ['many']));
  const engine = createEngine({ rules: yaml, clock: new FakeClock(), logger: false });
  const transport = make({ engine, instances: { backend: [{ url: server.url }] }, outlierDetection: false });
  opened.push(transport, server, engine);
  const ours = () => engine.metrics().resources.find((r) => r.rule === 'followed')!;
  /** The call's outcome, once every listener has heard it: how many failures it added. */
  const failures = async (): Promise<number> => {
    // node:http says a request closed on a tick after the client has rejected its promise
    for (let i = 0; i < 200 && ours().inFlight !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    assert.equal(ours().inFlight, 0, 'the call ended');
    return ours().failed;
  };
  return { server, transport, failures };
}

type Mode = 'hold' | 'hold-body';

/**
 * A signal that aborts with `reason()` at a known point of the call: once it has reached the
 * backend ('hold': no response yet) or once the client has the response's headers ('hold-body').
 */
function abortIn(server: Backend, mode: Mode, reason: () => unknown): Ending {
  const controller = new AbortController();
  const abort = (): void => controller.abort(reason());
  if (mode === 'hold') {
    void server.holding(server.held.length + 1).then(abort);
    return { signal: controller.signal };
  }
  let once = false;
  return { signal: controller.signal, onHeaders: () => void (once || ((once = true), abort())) };
}

/** What `AbortSignal.timeout()` aborts with (a DOMException named TimeoutError), taken from one. */
const timeoutReason = (): unknown => {
  const signal = AbortSignal.timeout(0);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
};

interface Case {
  readonly name: string;
  readonly ending: (server: Backend, mode: Mode) => Ending | Promise<Ending>;
  /** Failures counted, per transport; `failed` when not named. */
  readonly failed: number;
  readonly except?: Readonly<Record<string, number>>;
  /** The same, after the headers only. */
  readonly afterHeaders?: Readonly<Record<string, number>>;
}

const CASES: readonly Case[] = [
  { name: 'the caller aborts (no reason)', ending: (s, m) => abortIn(s, m, () => undefined), failed: 0 },
  { name: 'the caller aborts with its own reason', ending: (s, m) => abortIn(s, m, () => new Error('the user left')), failed: 0 },
  {
    // as AbortSignal.timeout(ms) does, or AbortSignal.any([signal, AbortSignal.timeout(ms)])
    name: "a timeout signal fires (AbortSignal.timeout()'s TimeoutError)",
    ending: async (s, m) => {
      const reason = await timeoutReason();
      return abortIn(s, m, () => reason);
    },
    failed: 1,
    // axios drops a signal's reason: its timeout option is the one it can tell apart
    except: { axios: 0 },
    // undici's body, destroyed with the reason, aborts the call without it: a plain abort
    afterHeaders: { 'undici request': 0, axios: 0 },
  },
  { name: "the transport's own timeout fires", ending: () => ({ timeout: 20 }), failed: 1 },
];

for (const [name, make] of Object.entries(TRANSPORTS)) {
  describe(`a call through ${name} (createDispatcher or createAgent)`, { timeout: 60_000 }, () => {
    for (const mode of ['hold', 'hold-body'] as Mode[]) {
      const when = mode === 'hold' ? 'before the response' : 'after the headers of a 200';
      for (const c of CASES) {
        const expected = (mode === 'hold-body' ? c.afterHeaders?.[name] : undefined) ?? c.except?.[name] ?? c.failed;
        it(`${c.name} ${when}: ${expected === 1 ? 'a failure' : 'not a failure'}`, async () => {
          const { server, transport, failures } = await setup(make);
          server.mode = mode;
          await assert.rejects(transport.call('http://backend/x', await c.ending(server, mode)));
          assert.equal(await failures(), expected);
          server.held.splice(0).forEach((res) => res.destroy());
        });
      }
    }
  });
}

describe("a handler of undici's newer shape (onRequestStart … onResponseError) dispatched directly", () => {
  /** Dispatches GET http://backend/x, aborting through the controller with `reason` once the call reached the backend. */
  async function abortThroughController(reason: unknown): Promise<number> {
    const server = await backend();
    server.mode = 'hold';
    const yaml = rules(concurrency('many', 100), rule('followed', ['http://backend/**'], ['many']));
    const engine = createEngine({ rules: yaml, clock: new FakeClock(), logger: false });
    const dispatcher = createDispatcher({ engine, instances: { backend: [{ url: server.url }] }, outlierDetection: false });
    opened.push(dispatcher, server, engine);
    const ended = new Promise<unknown>((resolve) => {
      dispatcher.dispatch(
        { origin: 'http://backend', path: '/x', method: 'GET' },
        {
          onRequestStart(controller: { abort(reason?: unknown): void }) {
            void server.holding(1).then(() => controller.abort(reason));
          },
          onResponseStart() {},
          onResponseData() {},
          onResponseEnd: () => resolve(undefined),
          onResponseError: (_controller: unknown, error: unknown) => resolve(error),
        } as never,
      );
    });
    assert.equal(await ended, reason, 'the call ended with the reason given');
    return engine.metrics().resources.find((r) => r.rule === 'followed')!.failed;
  }

  it('an abort with its own reason is not a failure', async () => {
    assert.equal(await abortThroughController(new Error('the user left')), 0);
  });

  it('an abort with a TimeoutError is a failure', async () => {
    assert.equal(await abortThroughController(new DOMException('too slow', 'TimeoutError')), 1);
  });
});
