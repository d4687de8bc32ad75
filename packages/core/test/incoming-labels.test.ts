// Incoming labels are tokens (issue 13 item 4, SPEC §7): visible ASCII without , ; = " \ or
// space, at most 64 bytes, at most eight. Anything else is dropped before a handler or an
// outgoing call sees it, and said once per header, then at most once a minute.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEngine, FakeClock, isLabelToken, propagationHeaders, requestView, type Engine } from '../src/index.js';
import { problem, yaml } from './fixtures/rules/helpers.js';

function engineWithLog(): { engine: Engine; clock: FakeClock; warnings: string[] } {
  const warnings: string[] = [];
  const clock = new FakeClock();
  const engine = createEngine({ rules: [], clock, logger: { info() {}, error() {}, warn: (m) => warnings.push(m) } });
  return { engine, clock, warnings };
}

function labelsOf(engine: Engine, headers: Record<string, string>): readonly string[] {
  const decision = engine.enter(requestView('GET', '/x', headers));
  assert.ok(!(decision instanceof Promise), '!(decision instanceof Promise)');
  return decision.context.trafficLabels;
}

describe('incoming labels', () => {
  it('drops a baggage label that decodes to CR/LF: no label, nothing of it to pass on', async () => {
    const { engine, warnings } = engineWithLog();
    const labels = labelsOf(engine, { baggage: 'OpenSergo-Label=canary%0D%0AX-Evil%3A%201' });
    assert.deepEqual(labels, []);
    assert.deepEqual(propagationHeaders(labels), {});
    assert.equal(warnings.length, 1);
    assert.equal(
      warnings[0],
      'dropped an incoming traffic label from the baggage header: "canary\\r\\nX-Evil: 1" is not a label token (1–64 visible ASCII characters, none of , ; = " \\ or space); the request goes on without it',
    );
    await engine.close();
  });

  it('keeps the tokens of a list and drops the rest: non-ASCII, spaces, over 64 bytes', async () => {
    const { engine } = engineWithLog();
    const long = 'x'.repeat(65);
    assert.deepEqual(labelsOf(engine, { 'x-opensergo-traffic': `gray, caf\u00e9, a b, ${long}, ${'y'.repeat(64)}` }), ['gray', 'y'.repeat(64)]);
    assert.deepEqual(labelsOf(engine, { baggage: `OpenSergo-Label=${encodeURIComponent('blue,"q",x=1,a;b')}` }), ['blue']);
    await engine.close();
  });

  it('keeps at most eight: 15 KB of labels in become at most 8 × 64 bytes out', async () => {
    const { engine, warnings } = engineWithLog();
    const many = Array.from({ length: 240 }, (_, i) => `l${i}-${'z'.repeat(60)}`.slice(0, 64));
    const labels = labelsOf(engine, { 'x-opensergo-traffic': many.join(',') });
    assert.deepEqual(labels, many.slice(0, 8));
    const out = propagationHeaders(labels);
    assert.ok(out['x-opensergo-traffic']!.length <= 8 * 65, "out['x-opensergo-traffic']!.length <= 8 * 65");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /from the x-opensergo-traffic header: "l8-z+" came after 8 labels, the most a request carries/);
    await engine.close();
  });

  it('says it once per header, then at most once a minute with how many it did not say', async () => {
    const { engine, clock, warnings } = engineWithLog();
    const hostile = { baggage: 'OpenSergo-Label=a%20b' };
    for (let i = 0; i < 5; i++) labelsOf(engine, hostile);
    labelsOf(engine, { 'x-opensergo-traffic': 'a b' });
    assert.equal(warnings.length, 2, 'one per header');
    clock.advance(59_999);
    labelsOf(engine, hostile);
    assert.equal(warnings.length, 2);
    clock.advance(1);
    labelsOf(engine, hostile);
    assert.equal(warnings.length, 3);
    assert.match(warnings[2]!, /\(and 5 more since the last report\)$/);
    await engine.close();
  });

  it('isLabelToken is the one predicate (exported for the outgoing-call side)', () => {
    assert.ok(isLabelToken('gray'), "isLabelToken('gray')");
    assert.ok(isLabelToken('v1.2_canary-3'), "isLabelToken('v1.2_canary-3')");
    for (const bad of ['', 'a b', 'a,b', 'a;b', 'a=b', 'a"b', 'a\\b', 'é', 'x'.repeat(65), 'a\tb']) assert.ok(!isLabelToken(bad), bad);
  });
});

describe('labels written in rules', () => {
  const labelRule = (label: string) => yaml`
    apiVersion: traffic.opensergo.io/v1alpha1
    kind: TrafficLabelRule
    metadata: { name: l }
    spec:
      trafficLabel: ${label}
      match: [{ type: method, condition: "==", value: GET }]
  `;

  it('must be tokens, checked at load', () => {
    const p = problem(labelRule('"gray lane"'));
    assert.deepEqual([p.line, p.field], [5, 'spec.trafficLabel']);
    assert.match(p.message, /expected a label token \(1–64 visible ASCII characters, none of , ; = " \\ or space\), since labels travel in headers, got "gray lane"/);
    const workload = yaml`
      apiVersion: traffic.opensergo.io/v1alpha1
      kind: WorkloadLabelRule
      metadata: { name: w }
      spec: { workloadLabels: [ok, "not;ok"], selector: { app: a } }
    `;
    assert.equal(problem(workload).field, 'spec.workloadLabels[1]');
  });
});
