// Issue 13 item 2: whatever goes wrong writing a blocked request's response, no adapter lets it
// escape (an unhandled rejection exits the process): the response ends with a 500, the failure
// is logged, and the server goes on serving. The loader refuses the fallbacks that cannot be
// written; an engine stub hands the adapters a response Node refuses to send, decided at once
// and after a wait (a throttling queue, a remote store), as no loaded rule can any more.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger, type Decision, type Engine, type Logger, type RequestContext } from '@opensergo/core';
import { ADAPTERS, send, withApp } from './harness.js';

const context: RequestContext = Object.freeze({ resource: '/foo', trafficLabel: undefined, trafficLabels: Object.freeze([]) });

/** An engine that blocks /foo with a header value Node throws on (an em dash), and passes the rest. */
function stubEngine(wait: boolean, logger: Logger): Engine {
  const unwritable: Decision = {
    type: 'block',
    context,
    response: { statusCode: 429, headers: { 'x-reason': 'Too many requests — slow down' }, body: 'no' },
    kind: 'RateLimitStrategy',
    rule: 'FaultToleranceRule/r',
  };
  const pass: Decision = { type: 'pass', context, entry: undefined };
  const decide = (url: string): Decision => (url.startsWith('/foo') ? unwritable : pass);
  return {
    logger,
    passedMark: Symbol('passed'),
    followRouter: () => undefined,
    enter: (view: { url: string }) => (wait ? new Promise((resolve) => setImmediate(() => resolve(decide(view.url)))) : decide(view.url)),
    close: async () => {},
  } as unknown as Engine;
}

for (const adapter of ADAPTERS) {
  describe(`a fallback that cannot be written on ${adapter.name}`, () => {
    for (const wait of [false, true]) {
      it(`decided ${wait ? 'after a wait' : 'at once'}: 500, one log line, and the next request is served`, async () => {
        const errors: string[] = [];
        const engine = stubEngine(wait, { ...silentLogger, error: (m) => errors.push(m) });
        await withApp(adapter, { engine }, [{ path: '/foo' }, { path: '/bar' }], async ({ port }) => {
          const reply = await send(port, '/foo');
          assert.equal(reply.status, 500);
          assert.equal(reply.headers['x-reason'], undefined, 'nothing of the failed response is sent');
          assert.equal((await send(port, '/bar')).status, 200);
          assert.equal((await send(port, '/foo')).status, 500);
        });
        assert.equal(errors.length, 1, 'logged once, not once per request');
        assert.match(errors[0]!, /could not write the response of FaultToleranceRule\/r .*answered 500/);
      });
    }
  });
}
