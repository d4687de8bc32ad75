// Rules pushed by a real gRPC server speaking the OpenSergo protocol reach every adapter
// through the `controlPlane` option, on top of the app's own rules file (issue 5), whatever
// order the kinds arrive in (issue 14).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensergo/core';
import { FAULT_TOLERANCE_KINDS } from '@opensergo/control-plane';
import { TestControlPlane, ftAny } from '../packages/control-plane/test/control-plane-server.js';
import { FOOA, applyAll } from '../packages/control-plane/test/engine-client.js';
import { ReferenceControlPlane } from '../packages/control-plane/test/reference-control-plane.js';
import { limitedTarget } from '../packages/core/test/helpers/rate-limit-rules.js';
import { ADAPTERS, send, withApp } from './harness.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';
const fileRules = limitedTarget('local-limit', '/local', 1);

for (const adapter of ADAPTERS) {
  describe(`control plane on ${adapter.name}`, () => {
    it('applies pushed rules within a second, beside the inline rules, and replaces them on the next push', async () => {
      const plane = await new TestControlPlane().start();
      const clock = new FakeClock();
      const options = { rules: fileRules, clock, app: 'shop', namespace: 'prod', controlPlane: { endpoint: plane.endpoint } };
      try {
        await withApp(adapter, options, [{ path: '/foo' }, { path: '/local' }], async ({ port, engine }) => {
          await plane.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
          const subscription = plane.requests[0]!['target'] as Record<string, unknown>;
          assert.equal(subscription['app'], 'shop');
          assert.equal(subscription['namespace'], 'prod');
          assert.equal((await send(port, '/foo')).status, 200, 'nothing limits /foo yet');

          const started = Date.now();
          let loaded = once(engine.events, 'rules:loaded');
          plane.push({ kind: `${FT}/RateLimitStrategy`, data: [ftAny('RateLimitStrategy', { name: 'cp-limit', threshold: 2, statDuration: 1 })], responseId: 'p1', namespace: 'prod', app: 'shop' });
          plane.push({ kind: `${FT}/FaultToleranceRule`, data: [ftAny('FaultToleranceRule', { targets: [{ targetResourceName: '/foo' }], strategies: [{ name: 'cp-limit' }] })], responseId: 'p2', namespace: 'prod', app: 'shop' });
          assert.equal((await plane.answerTo('p2'))['responseAck'], 'ACK');
          await loaded;
          assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
          const statuses = [];
          for (let i = 0; i < 3; i++) statuses.push((await send(port, '/foo')).status);
          assert.deepEqual(statuses, [200, 200, 429]);
          assert.deepEqual([(await send(port, '/local')).status, (await send(port, '/local')).status], [200, 429], 'the inline rules still apply');

          loaded = once(engine.events, 'rules:loaded');
          plane.push({ kind: `${FT}/FaultToleranceRule`, data: [], responseId: 'p3', namespace: 'prod', app: 'shop' });
          await plane.answerTo('p3');
          await loaded;
          assert.equal((await send(port, '/foo')).status, 200, 'an empty push removes the rule');
          const sources = engine.status().sources.map((s) => s.name);
          assert.ok(sources.includes(`control-plane:${plane.endpoint}`), sources.join());
        });
      } finally {
        plane.stop();
      }
    });

    it('rules pushed in the warm-cache order (the rule list before the strategies it names, each a push) limit /fooa to 3 per 5 s', async () => {
      const plane = await new ReferenceControlPlane().start();
      applyAll(plane, FOOA);
      plane.warm(FAULT_TOLERANCE_KINDS); // another replica subscribed before
      const clock = new FakeClock();
      const options = { clock, app: 'foo-app', namespace: 'default', controlPlane: { endpoint: plane.endpoint } };
      try {
        await withApp(adapter, options, [{ path: '/fooa' }], async ({ port }) => {
          const answers = await plane.waitForAnswers(3);
          assert.deepEqual(answers.map((a) => a['responseAck']), ['ACK', 'ACK', 'ACK']);
          const statuses = [];
          for (let i = 0; i < 5; i++) statuses.push((await send(port, '/fooa')).status);
          assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
        });
      } finally {
        plane.stop();
      }
    });
  });
}
