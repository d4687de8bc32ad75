// The launch post's rules, end to end, identically on every adapter (issue 2).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensergo/core';
import { ADAPTERS, echoed, send, withApp } from './harness.js';

const rulesFile = fileURLToPath(new URL('../examples/opensergo.yaml', import.meta.url));
const routes = [{ path: '/foo' }, { path: '/index' }, { path: '/other' }];

for (const adapter of ADAPTERS) {
  describe(`launch post rules on ${adapter.name}`, () => {
    it('admits exactly 10 of 30 quick GET /foo, answers the rest with the fallback, and 10 more a second later', async () => {
      const clock = new FakeClock(1_000);
      await withApp(adapter, { rulesFile, clock }, routes, async ({ port }) => {
        const replies = await Promise.all(Array.from({ length: 30 }, () => send(port, '/foo')));
        const passed = replies.filter((r) => r.status === 200);
        const blocked = replies.filter((r) => r.status === 429);
        assert.equal(passed.length, 10);
        assert.equal(blocked.length, 20);
        for (const r of passed) assert.equal(echoed(r)?.resource, '/foo');
        for (const r of blocked) {
          assert.equal(r.body, 'Blocked by Sentinel');
          assert.equal(r.headers['x-sentinel-limit'], 'foo');
          assert.match(String(r.headers['content-type']), /^text\/plain/);
        }

        clock.advance(999);
        assert.equal((await send(port, '/foo')).status, 429, 'the window has not moved yet');
        clock.advance(1);
        const next = await Promise.all(Array.from({ length: 15 }, () => send(port, '/foo')));
        assert.equal(next.filter((r) => r.status === 200).length, 10);
        assert.equal(next.filter((r) => r.status === 429).length, 5);
      });
    });

    // Spellings every framework routes to /foo; the rest, framework by framework, is in
    // conformance-matching.test.ts.
    it('counts /foo with a query or in absolute form against /foo', async () => {
      const clock = new FakeClock(1_000);
      await withApp(adapter, { rulesFile, clock }, routes, async ({ port }) => {
        for (let i = 0; i < 6; i++) assert.equal((await send(port, '/foo')).status, 200);
        const spellings = ['/foo?x=1', 'http://localhost/foo', '/foo?', 'http://localhost/foo?x=/bar'];
        for (const path of spellings) {
          assert.notEqual((await send(port, path)).status, 429, `${path} is within the first 10`);
        }
        for (const path of spellings) {
          const reply = await send(port, path);
          assert.equal(reply.status, 429, `${path} must count against /foo`);
          assert.equal(reply.body, 'Blocked by Sentinel');
        }
        assert.equal((await send(port, '/other')).status, 200, 'other paths are not limited');
      });
    });

    it('labels GET /index from user 12345 as gray, and nothing else', async () => {
      await withApp(adapter, { rulesFile }, routes, async ({ port }) => {
        const gray = echoed(await send(port, '/index', { headers: { 'X-User-Id': '12345' } }));
        assert.equal(gray?.trafficLabel, 'gray');
        assert.deepEqual(gray?.trafficLabels, ['gray']);
        const otherUser = echoed(await send(port, '/index', { headers: { 'X-User-Id': '54321' } }));
        assert.equal(otherUser?.trafficLabel, undefined);
        assert.deepEqual(otherUser?.trafficLabels, []);
        const otherPath = echoed(await send(port, '/other', { headers: { 'X-User-Id': '12345' } }));
        assert.equal(otherPath?.trafficLabel, undefined);
        const noHeader = echoed(await send(port, '/index'));
        assert.equal(noHeader?.trafficLabel, undefined);
      });
    });
  });
}
