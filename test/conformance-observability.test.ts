// What governance tells: metrics, RateLimit header fields, block events and dry run, on every
// adapter, under the launch post's rules (issue 18).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { FakeClock, type BlockEvent, type RuleMetrics } from '@opensergo/core';
import { ADAPTERS, send, withApp } from './harness.js';

const rulesFile = fileURLToPath(new URL('../examples/opensergo.yaml', import.meta.url));
const launchPost = readFileSync(rulesFile, 'utf8');
/** The launch post's rules with `my-rule` in dry run. */
const dryRunRules = launchPost.replace('  name: my-rule\n', '  name: my-rule\n  annotations:\n    opensergo.io/dry-run: "true"\n');
const routes = [{ path: '/foo' }, { path: '/index' }];

const fooRow = (rows: readonly RuleMetrics[]): RuleMetrics => {
  const row = rows.find((r) => r.resource === '/foo' && r.rule === 'my-rule' && r.kind === 'RateLimitStrategy');
  assert.ok(row, 'a row for /foo, my-rule, RateLimitStrategy');
  return row;
};

for (const adapter of ADAPTERS) {
  describe(`observability on ${adapter.name}`, () => {
    it('counts 30 quick GET /foo as 10 passed and 20 blocked, and tells each block to listeners', async () => {
      const clock = new FakeClock(1_000);
      await withApp(adapter, { rulesFile, clock }, routes, async ({ port, engine }) => {
        const events: BlockEvent[] = [];
        engine.events.on('request:blocked', (e) => events.push(e));
        await Promise.all(Array.from({ length: 30 }, () => send(port, '/foo')));
        const row = fooRow(engine.metrics().resources);
        assert.equal(row.passed, 10);
        assert.equal(row.blocked, 20);
        assert.equal(row.wouldBlock, 0);
        assert.equal(row.strategy, 'rate-limit-foo');
        assert.equal(events.length, 20);
        assert.deepEqual(events[0], {
          resource: '/foo',
          target: '/foo',
          rule: 'my-rule',
          strategy: 'rate-limit-foo',
          kind: 'RateLimitStrategy',
          trafficLabels: [],
          clientKey: undefined,
          retryAfterMs: 1000,
        });
      });
    });

    it('with rateLimitHeaders, tells each response its quota, and a client pacing itself by them is never refused', async () => {
      const clock = new FakeClock(1_000);
      await withApp(adapter, { rulesFile, clock, rateLimitHeaders: true }, routes, async ({ port }) => {
        const first = [];
        for (let i = 0; i < 10; i++) first.push(await send(port, '/foo'));
        assert.equal(first[2]!.status, 200);
        assert.equal(first[2]!.headers['ratelimit-policy'], '"rate-limit-foo";q=10;w=1');
        assert.equal(first[2]!.headers['ratelimit'], '"rate-limit-foo";r=7;t=1');
        assert.equal(first[9]!.headers['ratelimit'], '"rate-limit-foo";r=0;t=1');
        clock.advance(400);
        const blocked = await send(port, '/foo');
        assert.equal(blocked.status, 429);
        assert.equal(blocked.body, 'Blocked by Sentinel', 'the fallback still answers');
        assert.equal(blocked.headers['ratelimit'], '"rate-limit-foo";r=0;t=1', 'the reset rounds 600 ms up to 1 s');
        assert.equal(blocked.headers['ratelimit-policy'], '"rate-limit-foo";q=10;w=1');
        // The client waits what `t` says, then finds its quota back.
        clock.advance(1000);
        const paced = await send(port, '/foo');
        assert.equal(paced.status, 200);
        assert.equal(paced.headers['ratelimit'], '"rate-limit-foo";r=9;t=1');
        const unlimited = await send(port, '/index');
        assert.equal(unlimited.headers['ratelimit'], undefined, 'a resource without a rate limit carries no fields');
      });
    });

    it('sends no RateLimit fields unless asked', async () => {
      await withApp(adapter, { rulesFile }, routes, async ({ port }) => {
        const reply = await send(port, '/foo');
        assert.equal(reply.headers['ratelimit'], undefined);
        assert.equal(reply.headers['ratelimit-policy'], undefined);
      });
    });

    it('with the dry-run annotation, passes all 30 and reports the 20 it would have blocked', async () => {
      const clock = new FakeClock(1_000);
      await withApp(adapter, { rules: dryRunRules, clock }, routes, async ({ port, engine }) => {
        const wouldBlock: BlockEvent[] = [];
        let blocked = 0;
        engine.events.on('request:would-block', (e) => wouldBlock.push(e));
        engine.events.on('request:blocked', () => blocked++);
        const replies = await Promise.all(Array.from({ length: 30 }, () => send(port, '/foo')));
        assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
        assert.equal(wouldBlock.length, 20);
        assert.equal(blocked, 0);
        assert.equal(wouldBlock[0]!.rule, 'my-rule');
        const row = fooRow(engine.metrics().resources);
        assert.equal(row.dryRun, true);
        assert.equal(row.wouldBlock, 20);
        assert.equal(row.blocked, 0);
        assert.equal(row.passed, 30);
      });
    });

    it('answers as usual when request:blocked and request:would-block listeners throw, logs each once, and still tells the other listeners', async () => {
      const clock = new FakeClock(1_000);
      const lines: string[] = [];
      const logger = { debug() {}, info() {}, warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
      // my-rule blocks on /foo; a dry-run rule with the same limit on /index only reports.
      const rules = `${launchPost}
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata:
  name: dry-rule
  annotations: { opensergo.io/dry-run: "true" }
spec:
  targets: [{ targetResourceName: /index }]
  strategies: [{ name: rate-limit-foo }]
`;
      await withApp(adapter, { rules, clock, logger }, routes, async ({ port, engine }) => {
        let blocked = 0;
        engine.events.on('request:blocked', () => {
          throw new Error('a broken log sink');
        });
        engine.events.on('request:would-block', () => {
          throw new Error('another broken log sink');
        });
        engine.events.on('request:blocked', () => blocked++);
        const foo = await Promise.all(Array.from({ length: 30 }, () => send(port, '/foo')));
        const index = await Promise.all(Array.from({ length: 30 }, () => send(port, '/index')));
        assert.deepEqual(
          foo.map((r) => r.status).sort(),
          [...Array<number>(10).fill(200), ...Array<number>(20).fill(429)],
        );
        assert.deepEqual(new Set(index.map((r) => r.status)), new Set([200]));
        assert.equal(blocked, 20);
        assert.equal(lines.filter((l) => l.includes('request:blocked') && l.includes('a broken log sink')).length, 1);
        assert.equal(lines.filter((l) => l.includes('request:would-block') && l.includes('another broken log sink')).length, 1);
      });
    });
  });
}
