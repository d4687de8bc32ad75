// Issue 14: rules apply whatever order their kinds arrive in, against a control plane that
// answers as the reference one does (reference-control-plane.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_TOLERANCE_KINDS } from '../src/index.js';
import { ReferenceControlPlane } from './reference-control-plane.js';
import { CIRCUIT_BREAKER, FOOA, RATE_LIMIT, RULE, THROTTLING, admitted, applyAll, engineClient, fooaRule, rateLimit, type EngineClient } from './engine-client.js';
import { ftAny } from './control-plane-server.js';

/** `/fooa` admits 3 of 5, none until 5 s have passed, then 3 again: limited to 3 per 5 s. */
function assertFooaLimited({ engine, clock }: EngineClient, why: string): void {
  assert.equal(admitted(engine, '/fooa', 5), 3, why);
  clock.advance(4_900);
  assert.equal(admitted(engine, '/fooa', 1), 0, why);
  clock.advance(100);
  assert.equal(admitted(engine, '/fooa', 5), 3, why);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

test('warm cache: the rule list, then each strategy list, each a separate push in subscription order, ends with /fooa limited', async (t) => {
  const plane = await new ReferenceControlPlane().start();
  applyAll(plane, FOOA);
  plane.warm(FAULT_TOLERANCE_KINDS); // another replica subscribed before: the caches are full
  const client = await engineClient(t, plane);
  const answers = await plane.waitForAnswers(3);
  assert.deepEqual(answers.map((a) => a['responseAck']), ['ACK', 'ACK', 'ACK'], 'a rule waiting for its strategies is ACKed, not NACKed');
  // The pushes came rule first: the rule waited for both strategies, then for one, then applied.
  assert.deepEqual(client.pending, [
    ['fault-tolerance-rule-1 waits for strategy "rate-limit-fooa", strategy "concurrency-fooa"'],
    ['fault-tolerance-rule-1 waits for strategy "concurrency-fooa"'],
    [],
  ]);
  assert.deepEqual(client.engine.status().rules.pending, []);
  assertFooaLimited(client, 'after the warm-cache pushes');
  client.clock.advance(60_000);
  assert.deepEqual(client.log.filter((line) => line.startsWith('warn')), [], 'waiting a moment for the next push is not worth a warning');
});

test('every order of the three pushes (the warm-cache order, its reverse, and every interleaving) ends with the same rules in force', async (t) => {
  for (const order of permutations(FOOA)) {
    const names = order.map((cr) => cr.kind.split('/').pop()).join(' → ');
    await t.test(names, async (t) => {
      const plane = await new ReferenceControlPlane().start();
      const client = await engineClient(t, plane);
      for (const kind of FAULT_TOLERANCE_KINDS) plane.list(kind); // nothing there yet
      applyAll(plane, order); // each CR created in turn: one push each
      const answers = await plane.waitForAnswers(3);
      assert.deepEqual(answers.map((a) => a['responseAck']), ['ACK', 'ACK', 'ACK']);
      assert.equal(client.engine.status().rules.faultToleranceRules, 1);
      assert.deepEqual(client.engine.status().rules.pending, []);
      assertFooaLimited(client, names);
    });
  }
});

test('cold cache: the kinds are listed in a random order, one push per CR, and the rules end up in force', async (t) => {
  const plane = await new ReferenceControlPlane().start();
  const foob = fooaRule(['rate-limit-foob'], '/foob', 'foob-rule');
  const crs = [...FOOA, foob, rateLimit('rate-limit-foob', 1, 5)];
  applyAll(plane, crs); // before any watcher exists
  const client = await engineClient(t, plane);
  const kinds = [...FAULT_TOLERANCE_KINDS].sort(() => Math.random() - 0.5);
  for (const kind of kinds) plane.list(kind);
  await plane.waitForAnswers(crs.length);
  const why = `kinds listed in the order ${kinds.join(', ')}`;
  assert.deepEqual(client.engine.status().rules.pending, [], why);
  assert.equal(admitted(client.engine, '/foob', 3), 1, why);
  assertFooaLimited(client, why);
});

test('renaming a strategy and its reference in two separate events never refuses a push, in either order', async (t) => {
  for (const ruleFirst of [true, false]) {
    await t.test(ruleFirst ? 'rule first' : 'strategy first', async (t) => {
      const plane = await new ReferenceControlPlane().start();
      const client = await engineClient(t, plane);
      for (const kind of FAULT_TOLERANCE_KINDS) plane.list(kind);
      applyAll(plane, FOOA);
      await plane.waitForAnswers(3);
      const renamed = rateLimit('rate-limit-fooa-v2', 3, 5);
      const steps = [
        () => plane.apply(RULE, 'fooa-rule', fooaRule(['rate-limit-fooa-v2', 'concurrency-fooa']).data),
        () => {
          plane.delete(RATE_LIMIT, 'rate-limit-fooa');
          plane.apply(renamed.kind, renamed.name, renamed.data);
        },
      ];
      for (const step of ruleFirst ? steps : steps.reverse()) step();
      const answers = await plane.waitForAnswers(6);
      assert.deepEqual(answers.map((a) => a['responseAck']), Array(6).fill('ACK'));
      assert.deepEqual(client.engine.status().rules.pending, []);
      assertFooaLimited(client, 'after the rename');
    });
  }
});

test('a rule whose strategy never arrives: the others are enforced, it is pending with the missing name, one warning; it applies when the strategy arrives', async (t) => {
  const plane = await new ReferenceControlPlane().start();
  const client = await engineClient(t, plane);
  for (const kind of FAULT_TOLERANCE_KINDS) plane.list(kind);
  applyAll(plane, FOOA);
  plane.apply(RULE, 'foob-rule', fooaRule(['rate-limit-foob'], '/foob').data);
  // Pushes of other kinds recompile the union; the rule still waits, and is not reported again.
  plane.apply(THROTTLING, 'unrelated', ftAny('ThrottlingStrategy', { name: 'unrelated', minIntervalMillisOfRequests: 10, queueTimeoutMillis: 100 }));
  const answers = await plane.waitForAnswers(5);
  assert.ok(answers.every((a) => a['responseAck'] === 'ACK'), "answers.every((a) => a['responseAck'] === 'ACK')");

  const [pending, ...others] = client.engine.status().rules.pending;
  assert.equal(others.length, 0);
  assert.deepEqual({ name: pending?.name, targets: pending?.targets, waitsFor: pending?.waitsFor }, { name: 'fault-tolerance-rule-2', targets: ['/foob'], waitsFor: ['strategy "rate-limit-foob"'] });
  assert.equal(admitted(client.engine, '/foob', 5), 5, 'the pending rule is not enforced');
  assert.equal(admitted(client.engine, '/fooa', 5), 3, 'the other rules are');

  client.clock.advance(10_000); // ten seconds later, the strategy arrives
  const warnings = client.log.filter((line) => line.startsWith('warn'));
  assert.equal(warnings.length, 1, client.log.join('\n'));
  assert.match(warnings[0]!, /FaultToleranceRule "fault-tolerance-rule-2" in namespace "default" \(on \/foob\) waits for strategy "rate-limit-foob", which no source defines/);
  plane.apply(RATE_LIMIT, 'rate-limit-foob', rateLimit('rate-limit-foob', 1, 5).data);
  assert.equal((await plane.waitForAnswers(6))[5]!['responseAck'], 'ACK');
  assert.deepEqual(client.engine.status().rules.pending, []);
  assert.equal(admitted(client.engine, '/foob', 3), 1, 'enforced from then on');
  assert.ok(client.log.some((line) => line.startsWith('info') && line.includes('"fault-tolerance-rule-2" in namespace "default" (on /foob) no longer waits: it is in force')), client.log.join('\n'));
});

test('engine.status() shows each kind\'s version and time; a garbled push and an invalid document are NACKed and change nothing', async (t) => {
  const plane = await new ReferenceControlPlane().start();
  const client = await engineClient(t, plane);
  for (const kind of FAULT_TOLERANCE_KINDS) plane.list(kind);
  applyAll(plane, FOOA);
  plane.apply(RATE_LIMIT, 'rate-limit-fooa', rateLimit('rate-limit-fooa', 3, 5).data); // unchanged CR, version 2
  await plane.waitForAnswers(4);
  const source = () => client.engine.status().sources.find((s) => s.name === `control-plane:${plane.endpoint}`)!;
  const versions = (): Record<string, string | undefined> =>
    Object.fromEntries(Object.entries(source().kinds ?? {}).map(([kind, v]) => [kind.split('/').pop(), v.version]));
  const expected = { FaultToleranceRule: '1', RateLimitStrategy: '2', ThrottlingStrategy: undefined, ConcurrencyLimitStrategy: '1', CircuitBreakerStrategy: undefined };
  assert.deepEqual(versions(), expected);
  const kinds = source().kinds!;
  assert.ok(Object.values(kinds).every((k) => (k.version === undefined) === (k.updatedAt === undefined)), 'Object.values(kinds).every((k) => (k.version === undefined) === (k.updatedAt === undefined))');
  assert.ok(Date.parse(kinds[RATE_LIMIT]!.updatedAt!) >= Date.parse(kinds[RULE]!.updatedAt!), 'Date.parse(kinds[RATE_LIMIT]!.updatedAt!) >= Date.parse(kinds[RULE]!.updatedAt!)');

  // A push whose bytes do not decode: NACK 4001.
  const garbledBytes = { type_url: rateLimit('x', 1, 1).data.type_url, value: Buffer.from([0xff, 0xff]) };
  plane.send({ status: { code: 200 }, namespace: 'default', app: 'foo-app', kind: RATE_LIMIT, dataWithVersion: { data: [garbledBytes], version: 3 }, responseId: '' });
  // A document invalid in itself (a ratio above 1): NACK 4007 with core's report.
  plane.apply(CIRCUIT_BREAKER, 'bad', ftAny('CircuitBreakerStrategy', { name: 'bad', strategy: 'STRATEGY_ERROR_REQUEST_RATIO', triggerRatio: 1.5, statDuration: 1000, recoveryTimeout: 1000, minRequestAmount: 1 }));
  const [garbled, invalid] = (await plane.waitForAnswers(6)).slice(4);
  const status = (answer: Record<string, unknown> | undefined) => answer?.['status'] as Record<string, unknown>;
  assert.deepEqual({ ack: garbled?.['responseAck'], code: status(garbled)['code'] }, { ack: 'NACK', code: 4001 });
  assert.deepEqual({ ack: invalid?.['responseAck'], code: status(invalid)['code'] }, { ack: 'NACK', code: 4007 });
  assert.match(String(status(invalid)['message']), /CircuitBreakerStrategy\/bad spec\.triggerRatio/);
  assert.deepEqual(versions(), expected, 'neither changed a version');
  assert.equal(source().documents, 3);
  assertFooaLimited(client, 'after the refused pushes');
});
