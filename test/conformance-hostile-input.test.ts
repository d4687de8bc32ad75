// Hostile requests on every adapter (issue 13 items 3 and 4): labels that are not tokens never
// reach a handler, and a rule regex that backtracks exponentially in JavaScript (`(a+)+$`)
// costs nothing special: regexes in rules have RE2 semantics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADAPTERS, echoed, send, withApp } from './harness.js';

const REDOS = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficLabelRule
metadata: { name: redos }
spec:
  trafficLabel: matched
  match: [{ type: header, key: x-probe, condition: regex, value: "(a+)+$" }]
`;

for (const adapter of ADAPTERS) {
  describe(`hostile input on ${adapter.name}`, () => {
    it('baggage OpenSergo-Label=canary%0D%0AX-Evil%3A%201 gives no label', async () => {
      await withApp(adapter, {}, [{ path: '/x' }], async ({ port }) => {
        const reply = await send(port, '/x', { headers: { baggage: 'OpenSergo-Label=canary%0D%0AX-Evil%3A%201' } });
        assert.equal(reply.status, 200);
        assert.deepEqual(echoed(reply)?.trafficLabels, []);
        const fine = await send(port, '/x', { headers: { baggage: 'OpenSergo-Label=canary%0D%0AX-Evil%3A%201%2Cgray' } });
        assert.deepEqual(echoed(fine)?.trafficLabels, ['gray'], 'the tokens of the list are kept');
      });
    });

    // Generous timeout, not a timing assertion: with JavaScript's engine these took minutes.
    it('a (a+)+$ label rule answers a 41-byte and an 8 KB near-miss header like any other', { timeout: 60_000 }, async () => {
      await withApp(adapter, { rules: REDOS }, [{ path: '/x' }], async ({ port }) => {
        for (const probe of [`${'a'.repeat(40)}!`, `${'a'.repeat(8000)}!`]) {
          const reply = await send(port, '/x', { headers: { 'x-probe': probe } });
          assert.equal(reply.status, 200);
          assert.deepEqual(echoed(reply)?.trafficLabels, []);
        }
        assert.deepEqual(echoed(await send(port, '/x', { headers: { 'x-probe': 'aaaa' } }))?.trafficLabels, ['matched']);
      });
    });
  });
}
