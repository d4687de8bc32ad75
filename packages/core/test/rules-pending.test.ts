// Rules that name something no source defines yet: held back ("pending") for sources whose
// kinds arrive separately (the control plane), an error everywhere else (SPEC §1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEngine, FakeClock, parseRulesText, type Engine, type EngineEventMap, type LocatedDocument } from '../src/index.js';
import { tryCompileRules } from '../src/rules/compile.js';
import { admitted, faultToleranceRule, rateLimitStrategy } from './helpers/rate-limit-rules.js';
import { ANY } from './fixtures/rules/helpers.js';

const fallback = (name: string): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: HttpRequestFallbackAction
metadata: { name: ${name} }
spec: { behavior: ReturnProvidedResponse, behaviorDesc: { responseStatusCode: 503, responseContentBody: busy } }`;

const withFallback = (ruleText: string, name: string): string => `${ruleText}\n  fallbackAction: ${name}`;

function parse(file: string, ...texts: string[]): LocatedDocument[] {
  const { documents, problems } = parseRulesText(texts.join('\n---'), file);
  assert.deepEqual(problems, []);
  return documents;
}

/** An engine with a recording logger; the control plane is pretended with `update('control-plane', …, { referencesMayWait: true })`. */
function engineWithLog(rules = ''): { engine: Engine; clock: FakeClock; log: string[]; pendingEvents: EngineEventMap['rules:pending'][0][] } {
  const log: string[] = [];
  const logger = { info: (m: string) => log.push(`info ${m}`), warn: (m: string) => log.push(`warn ${m}`), error: (m: string) => log.push(`error ${m}`) };
  const clock = new FakeClock();
  const engine = createEngine({ rules, clock, logger, controlPlane: false });
  const pendingEvents: EngineEventMap['rules:pending'][0][] = [];
  engine.events.on('rules:pending', (e) => pendingEvents.push(e));
  return { engine, clock, log, pendingEvents };
}

describe('pending rules', () => {
  it('compile: a rule of a document that may wait is held back, with what it waits for; the others apply', () => {
    const documents = parse('cp', rateLimitStrategy('a', 1), faultToleranceRule('ready', ['/a'], ['a']), withFallback(faultToleranceRule('waits', ['/b'], ['a', 'b']), 'fb'));
    const result = tryCompileRules(documents, ANY, [], { mayWait: new Set(documents) });
    assert.ok(result.ok, 'result.ok');
    assert.deepEqual(result.ruleSet.faultToleranceRules.map((r) => r.name), ['ready']);
    assert.deepEqual(result.pending, [{ kind: 'FaultToleranceRule', name: 'waits', namespace: undefined, file: 'cp', targets: ['/b'], waitsFor: ['strategy "b"', 'fallback action "fb"'] }]);
  });

  it('compile: without mayWait a dangling reference is still an error; an ambiguous one is an error either way', () => {
    const dangling = parse('rules.yaml', faultToleranceRule('r', ['/a'], ['missing']));
    const strict = tryCompileRules(dangling, ANY);
    assert.ok(!strict.ok, '!strict.ok');
    assert.match(strict.problems[0]!.message, /no strategy named "missing"/);

    const concurrency = `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: ConcurrencyLimitStrategy
metadata: { name: same }
spec: { maxConcurrency: 1, limitMode: Local }`;
    const ambiguous = parse('cp', rateLimitStrategy('same', 1), concurrency, faultToleranceRule('r', ['/a'], ['same']));
    const result = tryCompileRules(ambiguous, ANY, [], { mayWait: new Set(ambiguous) });
    assert.ok(!result.ok, '!result.ok');
    assert.match(result.problems[0]!.message, /"same" is ambiguous/);
  });

  it('compile: a rule invalid in itself is refused, without a "no strategy named" for the reference that may wait', () => {
    const broken = parse('cp', faultToleranceRule('r', ['/a{id}'], ['missing']));
    const result = tryCompileRules(broken, ANY, [], { mayWait: new Set(broken) });
    assert.ok(!result.ok, '!result.ok');
    assert.equal(result.problems.length, 1, result.problems.map((p) => p.message).join('\n'));
    assert.doesNotMatch(result.problems[0]!.message, /no strategy named/);
  });

  it('engine: the other rules are enforced, status lists the rule as pending, one warning once it has waited 5 s; it applies when its strategy arrives', () => {
    const { engine, clock, log, pendingEvents } = engineWithLog();
    const pushed = parse('control-plane:test', rateLimitStrategy('two', 2), faultToleranceRule('enforced', ['/a'], ['two']), faultToleranceRule('waiting', ['/b'], ['three']));
    assert.deepEqual(engine.update('control-plane', pushed, { referencesMayWait: true }), { ok: true });
    assert.equal(admitted(engine, '/a', 5), 2);
    assert.equal(admitted(engine, '/b', 5), 5, 'the pending rule is not enforced');
    assert.deepEqual(engine.status().rules.pending, [{ kind: 'FaultToleranceRule', name: 'waiting', namespace: undefined, file: 'control-plane:test', targets: ['/b'], waitsFor: ['strategy "three"'] }]);
    clock.advance(4_999);
    assert.deepEqual(log.filter((l) => l.startsWith('warn')), [], 'a rule usually waits only for the next push: no warning yet');
    clock.advance(1);
    // The same documents again (another kind's push recompiles the union): no second warning.
    engine.update('control-plane', pushed, { referencesMayWait: true });
    clock.advance(10_000);
    const warnings = log.filter((l) => l.startsWith('warn'));
    assert.equal(warnings.length, 1, log.join('\n'));
    assert.match(warnings[0]!, /control-plane:test: FaultToleranceRule "waiting" \(on \/b\) waits for strategy "three", which no source defines; it is not enforced until then/);

    const withStrategy = [...pushed, ...parse('control-plane:test', rateLimitStrategy('three', 3))];
    assert.deepEqual(engine.update('control-plane', withStrategy, { referencesMayWait: true }), { ok: true });
    assert.equal(admitted(engine, '/b', 5), 3);
    assert.deepEqual(engine.status().rules.pending, []);
    assert.ok(log.some((l) => l === 'info control-plane:test: FaultToleranceRule "waiting" (on /b) no longer waits: it is in force'), log.join('\n'));
    assert.deepEqual(pendingEvents.map((e) => e.pending.map((p) => p.name)), [['waiting'], []]);
  });

  it('engine: a rules file with a dangling reference is still refused at start-up and on reload', () => {
    assert.throws(() => createEngine({ rules: faultToleranceRule('r', ['/a'], ['missing']), logger: false, controlPlane: false }), /no strategy named "missing"/);
    const { engine } = engineWithLog();
    const result = engine.update('file:rules.yaml', parse('rules.yaml', faultToleranceRule('r', ['/a'], ['missing'])));
    assert.ok(!result.ok, '!result.ok');
    assert.deepEqual(engine.status().rules.pending, []);
  });

  it('engine: a rule that waits only briefly is not warned about', () => {
    const { engine, clock, log, pendingEvents } = engineWithLog();
    engine.update('control-plane', parse('control-plane:test', faultToleranceRule('r', ['/a'], ['one'])), { referencesMayWait: true });
    clock.advance(20);
    engine.update('control-plane', parse('control-plane:test', faultToleranceRule('r', ['/a'], ['one']), rateLimitStrategy('one', 1)), { referencesMayWait: true });
    clock.advance(60_000);
    assert.deepEqual(log.filter((l) => !l.startsWith('info no rules')), []);
    assert.equal(pendingEvents.length, 2, 'the event still says when it started and stopped waiting');
  });

  it('engine: a control-plane rule may wait for a fallback action from the file; removing it from the file makes the rule wait again', () => {
    const { engine, clock, log } = engineWithLog(fallback('busy'));
    const pushed = parse('control-plane:test', rateLimitStrategy('one', 1), withFallback(faultToleranceRule('r', ['/a'], ['one']), 'busy'));
    assert.deepEqual(engine.update('control-plane', pushed, { referencesMayWait: true }), { ok: true });
    assert.equal(admitted(engine, '/a', 3), 1);
    assert.deepEqual(engine.update('inline', []), { ok: true }, 'the file edit is accepted');
    assert.deepEqual(engine.status().rules.pending.map((p) => p.waitsFor), [['fallback action "busy"']]);
    clock.advance(5_000);
    assert.ok(log.some((l) => l.startsWith('warn') && l.includes('waits for fallback action "busy"')), `log.some((l) => l.startsWith('warn') && l.includes('waits for fallback action "busy"'))`);
    assert.deepEqual(engine.update('inline', parse('inline', fallback('busy'))), { ok: true });
    assert.deepEqual(engine.status().rules.pending, []);
  });
});
