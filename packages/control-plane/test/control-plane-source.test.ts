import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { compileRules, createEngine, isOpenSergoError, OpenSergoError, parseRulesText, type RuleSource } from '@opensergo/core';
import { createControlPlaneSource, FAULT_TOLERANCE_KINDS } from '../src/index.js';
import { TestControlPlane, ftAny, type Message } from './control-plane-server.js';
import { RecordingSink } from './recording-sink.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';
const RATE_LIMIT = `${FT}/RateLimitStrategy`;
const RULE = `${FT}/FaultToleranceRule`;
const quiet = { info() {}, warn() {}, error() {} };

interface Setup {
  server: TestControlPlane;
  sink: RecordingSink;
  source: RuleSource;
  logs: string[];
}

/** A test control plane and a subscribed client, both stopped when the test ends. */
async function setup(t: TestContext, sink = new RecordingSink()): Promise<Setup> {
  const plane = await new TestControlPlane().start();
  const logs: string[] = [];
  const source = createControlPlaneSource({
    endpoint: plane.endpoint,
    namespace: 'default',
    app: 'foo-app',
    identifier: 'test-client',
    backoff: { initialMs: 50, maxMs: 200 },
    logger: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
  });
  t.after(async () => {
    await source.close();
    plane.stop();
  });
  source.start(sink);
  await plane.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
  return { server: plane, sink, source, logs };
}

const rateLimit = (name: string, threshold: number) => ftAny('RateLimitStrategy', { name, threshold, statDuration: 1 });
const rule = ftAny('FaultToleranceRule', { targets: [{ targetResourceName: '/foo' }], strategies: [{ name: 'rate-limit-foo' }] });
const names = (values: unknown[]): string[] => values.map((v) => (v as { metadata: { name: string } }).metadata.name);

test('subscribes every fault-tolerance kind, one request each, with namespace, app and identifier', async (t) => {
  const { server, sink } = await setup(t);
  const subscriptions = await server.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
  assert.deepEqual(
    subscriptions.map((r) => (r['target'] as Message)['kinds']),
    FAULT_TOLERANCE_KINDS.map((kind) => [kind]),
  );
  for (const request of subscriptions) {
    assert.deepEqual({ ...(request['target'] as Message), kinds: undefined }, { namespace: 'default', app: 'foo-app', labels: [], kinds: undefined });
    assert.equal(request['opType'], 'SUBSCRIBE');
    assert.equal(request['identifier'], 'test-client#1', 'the identifier option, and which stream of this client this is');
  }
  assert.equal(new Set(subscriptions.map((r) => r['requestId'])).size, subscriptions.length, 'request ids are unique');
  await sink.waitFor('connected', 1);
  assert.deepEqual(sink.connects, [server.endpoint]);
});

test('a pushed RateLimitStrategy and FaultToleranceRule reach the sink as the equivalent YAML would, and are ACKed', async (t) => {
  const { server, sink } = await setup(t);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('rate-limit-foo', 10)], version: 3, responseId: 'push-1' });
  server.push({ kind: RULE, data: [rule], version: 4, responseId: 'push-2' });
  const ack = await server.answerTo('push-2');
  assert.deepEqual({ ack: ack['responseAck'], status: ack['status'] }, { ack: 'ACK', status: { code: 1, message: '', details: [] } });
  assert.equal((await server.answerTo('push-1'))['responseAck'], 'ACK');

  // Documents come in subscription order: FaultToleranceRule first.
  const yaml = `
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: fault-tolerance-rule-1, namespace: default, labels: { app: foo-app } }
spec:
  targets: [{ targetResourceName: /foo }]
  strategies: [{ name: rate-limit-foo }]
---
apiVersion: ${FT}
kind: RateLimitStrategy
metadata: { name: rate-limit-foo, namespace: default, labels: { app: foo-app } }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 10, statDuration: "1s" }
`;
  const fromYaml = parseRulesText(yaml, 'equivalent.yaml');
  assert.deepEqual(fromYaml.problems, []);
  assert.deepEqual(sink.accepted, fromYaml.documents.map((d) => d.value));
  assert.deepEqual(sink.updates.map((u) => u.version), ['3', '4']);
  // And core accepts them as rules.
  const ruleSet = compileRules(fromYaml.documents, { app: 'foo-app', namespace: 'default' });
  assert.equal(ruleSet.faultToleranceRules.length, 1);
});

test('a new push replaces the list of its kind (never a merge) and leaves other kinds alone', async (t) => {
  const { server, sink } = await setup(t);
  server.push({ kind: RULE, data: [rule], responseId: 'r-1' });
  server.push({ kind: RATE_LIMIT, data: [rateLimit('a', 1), rateLimit('b', 2)], responseId: 'r-2' });
  await server.answerTo('r-2');
  assert.deepEqual(names(sink.accepted), ['fault-tolerance-rule-1', 'a', 'b']);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('c', 3)], responseId: 'r-3' });
  await server.answerTo('r-3');
  assert.deepEqual(names(sink.accepted), ['fault-tolerance-rule-1', 'c']);
  server.push({ kind: RATE_LIMIT, data: [], responseId: 'r-4' });
  await server.answerTo('r-4');
  assert.deepEqual(names(sink.accepted), ['fault-tolerance-rule-1']);
});

test('a garbled push (bad bytes, unknown type URL) is NACKed with a reason and the sink is not updated', async (t) => {
  const { server, sink } = await setup(t);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('good', 1)], responseId: 'g-1' });
  await server.answerTo('g-1');
  const garbled = { type_url: rateLimit('x', 1).type_url, value: Buffer.from([0xff, 0xff, 0xff]) };
  server.push({ kind: RATE_LIMIT, data: [garbled], responseId: 'g-2' });
  const nack = await server.answerTo('g-2');
  assert.equal(nack['responseAck'], 'NACK');
  const status = nack['status'] as Message;
  assert.equal(status['code'], 4001);
  assert.match(String(status['message']), /bytes are not a valid io\.opensergo\.proto\.fault_tolerance\.v1\.RateLimitStrategy/);
  server.push({ kind: RATE_LIMIT, data: [{ type_url: 'type.googleapis.com/acme.Unknown', value: Buffer.alloc(0) }], responseId: 'g-3' });
  assert.match(String(((await server.answerTo('g-3'))['status'] as Message)['message']), /unknown type URL "type\.googleapis\.com\/acme\.Unknown"/);
  assert.equal(sink.updates.length, 1);
  assert.deepEqual(names(sink.accepted), ['good']);
  assert.equal(sink.errors.length, 2);
  assert.ok(sink.errors.every((e) => isOpenSergoError(e, 'ERR_OPENSERGO_CONTROL_PLANE')), "sink.errors.every((e) => isOpenSergoError(e, 'ERR_OPENSERGO_CONTROL_PLANE'))");
});

test('a push the sink rejects is NACKed and that kind\'s previous documents are restored', async (t) => {
  const { server, sink } = await setup(t);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('kept', 1)], responseId: 'x-1' });
  await server.answerTo('x-1');
  const refusal = new OpenSergoError('ERR_OPENSERGO_RULES_INVALID', 'threshold: expected a number ≥ 0');
  sink.respond = (values) => (names(values).includes('bad') ? { ok: false, error: refusal } : { ok: true });
  server.push({ kind: RATE_LIMIT, data: [rateLimit('bad', 1)], responseId: 'x-2' });
  const nack = await server.answerTo('x-2');
  assert.deepEqual({ ack: nack['responseAck'], code: (nack['status'] as Message)['code'], message: (nack['status'] as Message)['message'] }, {
    ack: 'NACK',
    code: 4007,
    message: refusal.message,
  });
  // The next push of another kind is combined with the last good RateLimitStrategy list, not the refused one.
  server.push({ kind: RULE, data: [rule], responseId: 'x-3' });
  assert.equal((await server.answerTo('x-3'))['responseAck'], 'ACK');
  assert.deepEqual(names(sink.accepted), ['fault-tolerance-rule-1', 'kept']);
});

/** A sink that compiles in slices, as the engine does: each update takes 20 ms and is logged. */
class SlicedSink extends RecordingSink {
  readonly log: string[] = [];
  override update(): never {
    throw new Error('the synchronous update was used although the sink has updateSliced');
  }
  async updateSliced(...args: Parameters<RecordingSink['update']>): Promise<ReturnType<RecordingSink['update']>> {
    this.log.push(`start ${args[1]?.version}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.log.push(`end ${args[1]?.version}`);
    return super.update(...args);
  }
}

test('pushes are compiled one at a time, in arrival order, through the sink\'s updateSliced; each is answered when its compile ends', async (t) => {
  const sink = new SlicedSink();
  const { server } = await setup(t, sink);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('first', 1)], version: 1, responseId: 's-1' });
  server.push({ kind: RATE_LIMIT, data: [rateLimit('second', 2)], version: 2, responseId: 's-2' });
  server.push({ kind: RATE_LIMIT, data: [rateLimit('third', 3)], version: 3, responseId: 's-3' });
  assert.equal((await server.answerTo('s-3'))['responseAck'], 'ACK');
  assert.deepEqual(sink.log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  assert.deepEqual(names(sink.accepted), ['third']);
  assert.deepEqual(
    sink.updates.map((u) => u.version),
    ['1', '2', '3'],
  );
});

test('the answer to a subscription: success is silent, an error status is logged; an initial push answers with data', async (t) => {
  const { server, sink, logs } = await setup(t);
  const [first] = await server.waitForSubscriptions(1);
  const requestId = String(first?.['requestId']);
  server.send({ status: { code: 1 }, ack: 'ACK', responseId: requestId });
  server.send({ status: { code: 4002, message: 'Request is invalid' }, ack: 'NACK', responseId: requestId });
  // What the reference control plane does when rules exist at subscription time: a push carrying our request id.
  server.push({ kind: RULE, data: [rule], responseId: requestId });
  await sink.waitFor('update', 1);
  assert.ok(logs.some((line) => line.startsWith('error') && line.includes('4002: Request is invalid') && line.includes(RULE)), "logs.some((line) => line.startsWith('error') && line.includes('4002: Request is invalid') && line...");
  assert.equal(logs.filter((line) => line.includes('answered the subscription') && line.includes('status 1')).length, 0);
});

test('a push of a higher or lower version is applied: each push is the whole list', async (t) => {
  const { server, sink } = await setup(t);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('v5', 1)], version: 5, responseId: 'v-1' });
  server.push({ kind: RATE_LIMIT, data: [rateLimit('v2', 1)], version: 2, responseId: 'v-2' });
  assert.equal((await server.answerTo('v-2'))['responseAck'], 'ACK');
  assert.deepEqual(names(sink.accepted), ['v2']);
});

test('after the control plane goes away and comes back on the same port, the client reconnects and re-subscribes by itself', async (t) => {
  const { server, sink } = await setup(t);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('before', 1)], version: 7, responseId: 'b-1' });
  await server.answerTo('b-1');
  await sink.waitFor('connected', 1);
  server.stop();
  await sink.waitFor('disconnected', 1);
  assert.match(sink.disconnects[0] ?? '', /^stream to the OpenSergo control plane at 127\.0\.0\.1:\d+ ended \(/);
  assert.deepEqual(names(sink.accepted), ['before'], 'the last good rules stay while disconnected');
  await new Promise((resolve) => setTimeout(resolve, 300)); // the point: a control plane that is down for a while
  const restarted = await new TestControlPlane().start(server.port);
  t.after(() => restarted.stop());
  const subscriptions = await restarted.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
  const identifiers = new Set(subscriptions.map((r) => r['identifier']));
  assert.equal(identifiers.size, 1, 'one identifier per stream');
  assert.notEqual([...identifiers][0], 'test-client#1', 'a new stream has a new identifier');
  assert.match(String([...identifiers][0]), /^test-client#\d+$/);
  await sink.waitFor('connected', 2);
  restarted.push({ kind: RATE_LIMIT, data: [rateLimit('after', 1)], version: 1, responseId: 'a-1' });
  assert.equal((await restarted.answerTo('a-1'))['responseAck'], 'ACK');
  assert.deepEqual(names(sink.accepted), ['after']);
});

test('start-up with no control plane listening does not throw, and connects once it appears', async (t) => {
  const probe = await new TestControlPlane().start();
  const port = probe.port;
  probe.stop();
  const plane = new TestControlPlane();
  plane.port = port;
  const sink = new RecordingSink();
  const source = createControlPlaneSource({ endpoint: plane.endpoint, namespace: 'default', app: 'foo-app', backoff: { initialMs: 50, maxMs: 200 }, logger: quiet });
  t.after(async () => {
    await source.close();
    plane.stop();
  });
  assert.doesNotThrow(() => source.start(sink));
  await sink.waitFor('disconnected', 1);
  assert.equal(sink.connects.length, 0);
  await plane.start(port);
  await plane.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
  await sink.waitFor('connected', 1);
  assert.equal(sink.disconnects.length, 1, 'failed attempts are reported once, not once per retry');
});

test('with a real engine: pushes go through core validation; a rule naming a strategy not pushed yet is ACKed and waits', async (t) => {
  const server = await new TestControlPlane().start();
  const engine = createEngine({ app: 'foo-app', namespace: 'default', logger: false, controlPlane: false });
  t.after(async () => {
    await engine.close();
    server.stop();
  });
  engine.addSource(createControlPlaneSource({ endpoint: server.endpoint, namespace: 'default', app: 'foo-app', logger: quiet }));
  await server.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
  server.push({ kind: RATE_LIMIT, data: [rateLimit('rate-limit-foo', 1)], version: 1, responseId: 'e-1' });
  server.push({ kind: RULE, data: [rule], version: 2, responseId: 'e-2' });
  assert.equal((await server.answerTo('e-2'))['responseAck'], 'ACK');
  assert.equal(engine.status().rules.faultToleranceRules, 1);
  const dangling = ftAny('FaultToleranceRule', { targets: [{ targetResourceName: '/foo' }], strategies: [{ name: 'nope' }] });
  server.push({ kind: RULE, data: [dangling], version: 3, responseId: 'e-3' });
  assert.deepEqual((await server.answerTo('e-3'))['status'], { code: 1, message: '', details: [] });
  assert.equal(engine.status().rules.faultToleranceRules, 0);
  assert.deepEqual(engine.status().rules.pending.map((p) => [p.name, p.waitsFor]), [['fault-tolerance-rule-1', ['strategy "nope"']]]);
  const invalid = ftAny('FaultToleranceRule', { targets: [{ targetResourceName: '/a{id}' }], strategies: [{ name: 'rate-limit-foo' }] });
  server.push({ kind: RULE, data: [invalid], version: 4, responseId: 'e-4' });
  const status = (await server.answerTo('e-4'))['status'] as Message;
  assert.equal(status['code'], 4007, 'a rule invalid in itself is still refused');
  assert.match(String(status['message']), /FaultToleranceRule\/fault-tolerance-rule-1 spec\.targets\[0\]\.targetResourceName: expected a parameter to be a whole segment/);
  assert.equal(engine.status().rules.version, '3', 'the last good rules stay in force');
});

test('the engine\'s controlPlane option passes keepalive on to the source', async () => {
  const reported = new Promise<string>((resolve) => {
    const engine = createEngine({
      app: 'foo-app',
      logger: { info() {}, warn() {}, error: (m) => void engine.close().then(() => resolve(m)) },
      controlPlane: { endpoint: '127.0.0.1:1', keepalive: { timeMs: 0 } },
    });
  });
  assert.match(await reported, /^control plane: Invalid control-plane options:\nkeepalive\.timeMs: expected a number of milliseconds > 0, got 0$/);
});

test('invalid options are all reported at once', () => {
  assert.throws(
    () => createControlPlaneSource({ endpoint: 'http://x', namespace: '', app: 'a', kinds: ['RateLimitStrategy'], keepalive: { timeMs: 0, timeoutMs: -1 } }),
    (err: unknown) => {
      assert.ok(isOpenSergoError(err, 'ERR_OPENSERGO_OPTIONS_INVALID'), "isOpenSergoError(err, 'ERR_OPENSERGO_OPTIONS_INVALID')");
      assert.match(err.message, /endpoint: expected "host:port"/);
      assert.match(err.message, /namespace: expected a non-empty string/);
      assert.match(err.message, /kinds: "RateLimitStrategy" is not one of/);
      assert.match(err.message, /keepalive\.timeMs: expected a number of milliseconds > 0, got 0/);
      assert.match(err.message, /keepalive\.timeoutMs: expected a number of milliseconds > 0, got -1/);
      return true;
    },
  );
});

test('a push larger than 4 MB (tens of thousands of strategies) is received and applied, not a stream broken on every reconnect', async (t) => {
  const { server, sink } = await setup(t);
  const many = Array.from({ length: 35_000 }, (_, i) => rateLimit(`rate-limit-${String(i).padStart(6, '0')}-${'x'.repeat(40)}`, i + 1));
  assert.ok(many.reduce((bytes, any) => bytes + any.value.length + any.type_url.length, 0) > 4 * 1024 * 1024, 'the push is over gRPC\'s default 4 MB');
  server.push({ kind: RATE_LIMIT, data: many, version: 1, responseId: 'huge' });
  // Beyond gRPC's default limit the client's stream breaks (RESOURCE_EXHAUSTED) instead of answering.
  const answer = await Promise.race([server.answerTo('huge'), sink.waitFor('disconnected', 1).then(() => undefined)]);
  assert.deepEqual(sink.disconnects, []);
  assert.equal(answer?.['responseAck'], 'ACK');
  assert.equal(sink.accepted.length, 35_000);
});

test('a refusal whose report runs to megabytes is NACKed with its first lines and a count of the rest, and the stream stays up', async (t) => {
  const { server, sink } = await setup(t);
  const lines = Array.from({ length: 40_000 }, (_, i) => `control-plane:x data[${i}]: RateLimitStrategy "rate-limit-${i}" threshold: expected a number ≥ 0, got -1`);
  const refusal = new OpenSergoError('ERR_OPENSERGO_RULES_INVALID', `rules rejected:\n${lines.join('\n')}`);
  sink.respond = () => ({ ok: false, error: refusal });
  server.push({ kind: RATE_LIMIT, data: [rateLimit('bad', 1)], responseId: 'big-nack' });
  // A control plane (grpc-go or grpc-js) takes at most 4 MB per message: a longer NACK would break the stream.
  const nack = await Promise.race([server.answerTo('big-nack'), sink.waitFor('disconnected', 1).then(() => undefined)]);
  assert.deepEqual(sink.disconnects, []);
  const status = nack?.['status'] as Message;
  assert.equal(status['code'], 4007);
  const message = String(status['message']);
  assert.ok(message.length < 20_000, `the NACK message is ${message.length} characters`);
  assert.ok(message.startsWith(`rules rejected:\n${lines[0]}\n${lines[1]}\n`), message.slice(0, 300));
  const shown = message.split('\n').length - 1;
  assert.ok(message.endsWith(`… and ${40_001 - shown} more lines`), message.slice(-200));
});
