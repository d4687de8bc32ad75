// What a blocked request's fallback response carries, on every adapter (issue 13 item 2 and its
// "Smaller" list): header names that are also names of Object.prototype's members are headers
// like any other; repeated names are merged; a 204 fallback ends without a body; a fallback
// Node could not send is refused at start-up, never met by a request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOpenSergoError } from '@opensergo/core';
import { faultToleranceRule, rateLimitStrategy } from '../packages/core/test/helpers/rate-limit-rules.js';
import { ADAPTERS, send, withApp } from './harness.js';

const fallback = (status: number, headers: readonly [string, string][]): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: HttpRequestFallbackAction
metadata: { name: answer }
spec:
  behavior: ReturnProvidedResponse
  behaviorDesc:
    responseStatusCode: ${status}
    responseAdditionalHeaders: [${headers.map(([k, v]) => `{ key: "${k}", value: "${v}" }`).join(', ')}]`;

const blocked = (status: number, headers: readonly [string, string][]): string =>
  `${rateLimitStrategy('none', 0)}\n---${fallback(status, headers)}\n---${faultToleranceRule('r', ['/foo'], ['none'])}\n  fallbackAction: answer\n`;

for (const adapter of ADAPTERS) {
  describe(`fallback responses on ${adapter.name}`, () => {
    it('sends headers named constructor and __proto__ as written, and merges a repeated name', async () => {
      const headers: [string, string][] = [['constructor', 'a'], ['__proto__', 'b'], ['X-Dup', '1'], ['x-dup', '2'], ['toString', 'c']];
      await withApp(adapter, { rules: blocked(429, headers) }, [{ path: '/foo' }], async ({ port }) => {
        const reply = await send(port, '/foo');
        assert.equal(reply.status, 429);
        assert.equal(reply.headers['constructor'], 'a');
        // Node's client cannot hold a header named __proto__ in `headers`; it was sent.
        const raw = reply.rawHeaders;
        assert.equal(raw[raw.findIndex((name, i) => i % 2 === 0 && name === '__proto__') + 1], 'b');
        assert.equal(reply.headers['tostring'], 'c');
        assert.equal(reply.headers['x-dup'], '1, 2');
        assert.equal(reply.headers['retry-after'], '1');
      });
    });

    it('ends a 204 fallback without a body', async () => {
      await withApp(adapter, { rules: blocked(204, [['X-Why', 'quiet']]) }, [{ path: '/foo' }], async ({ port }) => {
        const reply = await send(port, '/foo');
        assert.deepEqual([reply.status, reply.body, reply.headers['x-why']], [204, '', 'quiet']);
        assert.equal((await send(port, '/foo')).status, 204, 'the connection was not left waiting for a body');
      });
    });

    it('refuses at start-up a fallback header Node could not send', async () => {
      const rules = blocked(429, [['X-Reason', 'Too many requests — slow down']]);
      await assert.rejects(
        withApp(adapter, { rules }, [{ path: '/foo' }], async () => assert.fail('started')),
        (error: unknown) => isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID') && /inline:\d+:\d+ .*U\+2014/.test(error.message),
      );
    });
  });
}
