// Issue 14: the client survives the reference control plane's habits — restarts that start
// versions again at 1, stream bookkeeping keyed by identifier, a peer that goes silent without
// closing, and subscriptions that get no initial data.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, FakeClock } from '@opensergo/core';
import { createControlPlaneSource, FAULT_TOLERANCE_KINDS } from '../src/index.js';
import type { Message } from './control-plane-server.js';
import { PartitionProxy } from './partition-proxy.js';
import { ReferenceControlPlane } from './reference-control-plane.js';
import { FOOA, RATE_LIMIT, RULE, admitted, applyAll, engineClient, fooaRule, rateLimit, type Cr, type EngineClient } from './engine-client.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/reference-server.ts', import.meta.url));
const quiet = { info() {}, warn() {}, error() {} };

function versions(client: EngineClient, endpoint: string): Record<string, string | undefined> {
  const source = client.engine.status().sources.find((s) => s.name === `control-plane:${endpoint}`);
  return Object.fromEntries(Object.entries(source?.kinds ?? {}).map(([kind, v]) => [kind.split('/').pop(), v.version]));
}

const identifierOf = (requests: Message[]): string => {
  const identifiers = [...new Set(requests.map((r) => String(r['identifier'])))];
  assert.equal(identifiers.length, 1, `one identifier per stream, got ${identifiers.join(', ')}`);
  return identifiers[0]!;
};

test('control plane killed and restarted on the same port: the client re-subscribes, takes the new first push (version 1), and enforcement never stops', async (t) => {
  const plane = await new ReferenceControlPlane().start();
  applyAll(plane, FOOA);
  const client = await engineClient(t, plane);
  for (const kind of FAULT_TOLERANCE_KINDS) plane.list(kind);
  plane.apply(RATE_LIMIT, 'rate-limit-fooa', rateLimit('rate-limit-fooa', 3, 5).data); // edited twice: version 3
  plane.apply(RATE_LIMIT, 'rate-limit-fooa', rateLimit('rate-limit-fooa', 3, 5).data);
  await plane.waitForAnswers(5);
  assert.equal(versions(client, plane.endpoint)['RateLimitStrategy'], '3');
  const first = identifierOf(plane.requests.filter((r) => r['target']));

  const disconnected = once(client.engine.events, 'source:disconnected');
  plane.stop();
  await disconnected;
  assert.equal(admitted(client.engine, '/fooa', 5), 3, 'enforced while the control plane is down');

  const restarted = await new ReferenceControlPlane().start(plane.port);
  t.after(() => restarted.stop());
  applyAll(restarted, FOOA); // the CRs are still in Kubernetes; the new process has no watcher yet
  const subscriptions = await restarted.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
  assert.notEqual(identifierOf(subscriptions), first, 'the new stream has a new identifier');
  for (const kind of FAULT_TOLERANCE_KINDS) restarted.list(kind);
  const answers = await restarted.waitForAnswers(3);
  assert.deepEqual(answers.map((a) => a['responseAck']), ['ACK', 'ACK', 'ACK']);
  assert.deepEqual(versions(client, plane.endpoint), { FaultToleranceRule: '1', RateLimitStrategy: '1', ThrottlingStrategy: undefined, ConcurrencyLimitStrategy: '1', CircuitBreakerStrategy: undefined });
  client.clock.advance(5_000);
  assert.equal(admitted(client.engine, '/fooa', 5), 3, 'enforced after the restart');
  restarted.apply(RATE_LIMIT, 'rate-limit-fooa', rateLimit('rate-limit-fooa', 1, 5).data);
  await restarted.waitForAnswers(4);
  client.clock.advance(5_000);
  assert.equal(admitted(client.engine, '/fooa', 5), 1, 'and the restarted control plane\'s edits apply');
});

test('a reconnect uses a fresh identifier, so the old stream\'s late end does not unfile the new one', { timeout: 60_000 }, async (t) => {
  const plane = await new ReferenceControlPlane().start();
  const proxy = await new PartitionProxy({ host: '127.0.0.1', port: plane.port }).start();
  t.after(() => proxy.stop());
  const client = await engineClient(t, plane, { endpoint: proxy.endpoint, keepalive: { timeMs: 200, timeoutMs: 5_000 } });
  for (const kind of FAULT_TOLERANCE_KINDS) plane.list(kind);
  applyAll(plane, FOOA);
  await plane.waitForAnswers(3);
  const before = plane.requests.length;
  const old = identifierOf(plane.requests.filter((r) => r['target']));

  // The network path dies without a word: the client's keepalive notices, the control plane does not.
  const disconnected = once(client.engine.events, 'source:disconnected');
  proxy.partition();
  await disconnected;
  const fresh = identifierOf(await plane.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length, before));
  assert.notEqual(fresh, old);
  await plane.waitForAnswers(6); // the initial pushes to the new stream
  assert.deepEqual(plane.filedIdentifiers(RULE), [old, fresh], 'the control plane still files the old stream');

  proxy.releaseCut(); // much later, the control plane sees the old connection end
  await plane.waitForStreamEnds(1);
  assert.deepEqual(plane.filedIdentifiers(RULE), [fresh], 'unfiling the old identifier leaves the new stream filed');
  plane.apply(RATE_LIMIT, 'rate-limit-fooa', rateLimit('rate-limit-fooa', 1, 5).data);
  assert.equal((await plane.waitForAnswers(7))[6]!['responseAck'], 'ACK', 'a CR edit reaches the new stream');
  assert.equal(admitted(client.engine, '/fooa', 5), 1);
});

test('a namespace/app subscribed after its kind\'s watcher exists gets no initial data: the client does not wait on it', async (t) => {
  const plane = await new ReferenceControlPlane().start();
  applyAll(plane, FOOA);
  plane.warm(FAULT_TOLERANCE_KINDS, { app: 'other-app' }); // the watchers exist, started for another app
  const client = await engineClient(t, plane); // resolves once connected and subscribed
  assert.deepEqual(Object.values(versions(client, plane.endpoint)), [undefined, undefined, undefined, undefined, undefined], 'nothing received, nothing promised');
  assert.equal(admitted(client.engine, '/fooa', 5), 5, 'the service serves meanwhile');

  // An edit of the rule's CR is the first thing this app hears of; its strategies, never listed for it, arrive when edited.
  plane.apply(RULE, 'fooa-rule', FOOA[0]!.data);
  await plane.waitForAnswers(1);
  assert.deepEqual(client.engine.status().rules.pending.map((p) => p.waitsFor), [['strategy "rate-limit-fooa"', 'strategy "concurrency-fooa"']]);
  for (const cr of FOOA.slice(1)) plane.apply(cr.kind, cr.name, cr.data);
  await plane.waitForAnswers(3);
  assert.deepEqual(client.engine.status().rules.pending, []);
  assert.equal(admitted(client.engine, '/fooa', 5), 3);
});

/** The child's output, one parsed JSON per line, and a way to wait for lines. */
function childLines(stream: NodeJS.ReadableStream): { lines: Message[]; waitFor: (predicate: (line: Message) => boolean, count: number) => Promise<Message[]> } {
  const lines: Message[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: stream }).on('line', (line) => {
    lines.push(JSON.parse(line) as Message);
    for (const waiter of waiters) waiter();
  });
  const waitFor = (predicate: (line: Message) => boolean, count: number): Promise<Message[]> =>
    new Promise((resolve) => {
      const check = (): void => {
        const matching = lines.filter(predicate);
        if (matching.length < count) return;
        waiters.delete(check);
        resolve(matching.slice(0, count));
      };
      waiters.add(check);
      check();
    });
  return { lines, waitFor };
}

test('an idle connection to a control plane frozen with SIGSTOP: the client notices within the keepalive time and reconnects once it is back', { timeout: 90_000 }, async (t) => {
  const child = spawn(process.execPath, ['--conditions=opensergo-source', '--import', 'tsx', FIXTURE], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  });
  const out = childLines(child.stdout);
  const command = (value: unknown): boolean => child.stdin.write(`${JSON.stringify(value)}\n`);
  const [{ port }] = (await out.waitFor((l) => 'port' in l, 1)) as [{ port: number }];
  const request = (l: Message): Message => (l['request'] ?? {}) as Message;
  const subscriptions = (count: number) => out.waitFor((l) => request(l)['target'] !== undefined && request(l)['target'] !== null, count);
  const acks = (count: number) => out.waitFor((l) => request(l)['responseAck'] === 'ACK', count);

  const clock = new FakeClock();
  const engine = createEngine({ app: 'foo-app', namespace: 'default', clock, logger: false, controlPlane: false });
  t.after(() => engine.close());
  const keepalive = { timeMs: 300, timeoutMs: 5_000 }; // a generous timeout: a loaded machine must not look like a dead peer
  engine.addSource(createControlPlaneSource({ endpoint: `127.0.0.1:${port}`, namespace: 'default', app: 'foo-app', backoff: { initialMs: 50, maxMs: 200 }, keepalive, logger: quiet }));
  const first = identifierOf((await subscriptions(FAULT_TOLERANCE_KINDS.length)).map(request));
  for (const kind of FAULT_TOLERANCE_KINDS) command({ list: kind });
  for (const cr of FOOA) command({ apply: { kind: cr.kind, name: cr.name, type: cr.type, fields: cr.fields } });
  await acks(3);
  assert.equal(admitted(engine, '/fooa', 5), 3);

  // Nothing flows now. Freeze the control plane: its kernel keeps the connection open, only pings go unanswered.
  const disconnected = once(engine.events, 'source:disconnected');
  const frozenAt = Date.now();
  child.kill('SIGSTOP');
  const [{ reason }] = await disconnected;
  t.diagnostic(`noticed ${Date.now() - frozenAt} ms after SIGSTOP (keepalive ${keepalive.timeMs} + ${keepalive.timeoutMs} ms): ${reason}`);
  clock.advance(5_000);
  assert.equal(admitted(engine, '/fooa', 5), 3, 'still enforced while the control plane is frozen');

  child.kill('SIGCONT');
  const again = (await subscriptions(FAULT_TOLERANCE_KINDS.length * 2)).slice(FAULT_TOLERANCE_KINDS.length).map(request);
  assert.notEqual(identifierOf(again), first, 'subscribed again, on a new stream');
  await acks(6); // the control plane's cache is warm now: the new stream gets the three lists
  const edited = rateLimit('rate-limit-fooa', 1, 5);
  command({ apply: { kind: edited.kind, name: edited.name, type: edited.type, fields: edited.fields } });
  await acks(7);
  clock.advance(5_000);
  assert.equal(admitted(engine, '/fooa', 5), 1, 'edits after the thaw apply');
});

/**
 * A client that used up /fooa's window (3 of 3) against a control plane serving FOOA, which is
 * then killed and restarted on the same port with `after` in Kubernetes; resolves once the
 * client has re-subscribed and the new control plane has listed every kind, with the answers.
 */
async function restartedWith(t: TestContext, after: readonly Cr[]): Promise<{ client: EngineClient; restarted: ReferenceControlPlane; answers: Message[] }> {
  const plane = await new ReferenceControlPlane().start();
  applyAll(plane, FOOA);
  const client = await engineClient(t, plane);
  for (const kind of FAULT_TOLERANCE_KINDS) plane.list(kind);
  await plane.waitForAnswers(3);
  assert.equal(admitted(client.engine, '/fooa', 5), 3);

  const disconnected = once(client.engine.events, 'source:disconnected');
  plane.stop();
  await disconnected;
  const restarted = await new ReferenceControlPlane().start(plane.port);
  t.after(() => restarted.stop());
  applyAll(restarted, after);
  await restarted.waitForSubscriptions(FAULT_TOLERANCE_KINDS.length);
  for (const kind of FAULT_TOLERANCE_KINDS) restarted.list(kind);
  const answers = await restarted.waitForAnswers(new Set(after.map((cr) => cr.kind)).size);
  return { client, restarted, answers };
}

test('the same lists pushed again (a reconnect, a restarted control plane at version 1) keep the limits\' state: a used-up window stays used up', async (t) => {
  const { client, answers } = await restartedWith(t, FOOA);
  assert.deepEqual(answers.map((a) => a['responseAck']), ['ACK', 'ACK', 'ACK']);
  assert.equal(admitted(client.engine, '/fooa', 5), 0, 'the window used up before the restart is still used up');
  client.clock.advance(5_000);
  assert.equal(admitted(client.engine, '/fooa', 5), 3);
});

test('a kind whose every CR was deleted while the client was away gets no push, so its last list stays; creating and deleting one CR of it clears it', async (t) => {
  // The FaultToleranceRule was deleted while the control plane was down.
  const { client, restarted } = await restartedWith(t, FOOA.filter((cr) => cr.kind !== RULE));
  client.clock.advance(5_000);
  assert.equal(admitted(client.engine, '/fooa', 5), 3, 'the deleted rule is still enforced: nothing said the list is empty');

  const placeholder = fooaRule(['rate-limit-fooa'], '/placeholder', 'placeholder');
  restarted.apply(RULE, placeholder.name, placeholder.data);
  restarted.delete(RULE, placeholder.name);
  await restarted.waitForAnswers(4);
  client.clock.advance(5_000);
  assert.equal(admitted(client.engine, '/fooa', 5), 5, 'the empty list pushed by the delete removed it');
});
