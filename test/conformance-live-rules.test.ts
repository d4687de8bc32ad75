// A rules-file edit reaches a running app within about a second, on every adapter, with no
// request failing meanwhile (issue 5).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensergo/core';
import { limitedTarget } from '../packages/core/test/helpers/rate-limit-rules.js';
import { ADAPTERS, send, withApp } from './harness.js';

const rules = (threshold: number): string => limitedTarget('foo', '/foo', threshold);

for (const adapter of ADAPTERS) {
  describe(`live rules file on ${adapter.name}`, () => {
    it('raises the limit from 10 to 20 per second without a restart or a failed request', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'opensergo-live-'));
      const file = join(dir, 'opensergo.yaml');
      writeFileSync(file, rules(10));
      const clock = new FakeClock();
      try {
        await withApp(adapter, { rulesFile: file, clock }, [{ path: '/foo' }], async ({ port, engine }) => {
          const before = await Promise.all(Array.from({ length: 25 }, () => send(port, '/foo')));
          assert.equal(before.filter((r) => r.status === 200).length, 10);
          const started = Date.now();
          const loaded = once(engine.events, 'rules:loaded');
          writeFileSync(file, rules(20));
          // keep serving while the reload happens: nothing but 200 or 429
          const during = await Promise.all(Array.from({ length: 10 }, () => send(port, '/foo')));
          await loaded;
          assert.ok(Date.now() - started < 1500, `reload took ${Date.now() - started} ms`);
          for (const r of during) assert.ok(r.status === 200 || r.status === 429, `status ${r.status}`);
          clock.advance(1000);
          const after = await Promise.all(Array.from({ length: 25 }, () => send(port, '/foo')));
          assert.equal(after.filter((r) => r.status === 200).length, 20);
          assert.equal(after.filter((r) => r.status === 429).length, 5);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
