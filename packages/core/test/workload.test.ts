// Workload identity and labels of this process (SPEC §4; issue 15, item 3).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createEngine, isOpenSergoError, parseRulesText } from '../src/index.js';

const LAUNCH_POST_RULE = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: WorkloadLabelRule
metadata:
  name: gray-sts-label-rule
spec:
  workloadLabels: ['gray']
  selector:
    app: my-app-gray
    database: 'foo_db'
`;

const saved = { ...process.env };
afterEach(() => {
  for (const key of ['OPENSERGO_WORKLOAD', 'OPENSERGO_WORKLOAD_LABELS']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('workload identity', () => {
  it('applies the launch post WorkloadLabelRule to the process its selector names, and only to it', async () => {
    const gray = createEngine({ rules: LAUNCH_POST_RULE, app: 'my-app-gray', workload: { database: 'foo_db' }, logger: false });
    assert.deepEqual(gray.status().workload, {
      attributes: { database: 'foo_db', app: 'my-app-gray' },
      labels: ['gray'],
      sources: { gray: ['WorkloadLabelRule/gray-sts-label-rule'] },
    });
    const otherDatabase = createEngine({ rules: LAUNCH_POST_RULE, app: 'my-app-gray', workload: { database: 'bar_db' }, logger: false });
    assert.deepEqual(otherDatabase.status().workload.labels, []);
    const otherApp = createEngine({ rules: LAUNCH_POST_RULE, app: 'my-app', workload: { database: 'foo_db' }, logger: false });
    assert.deepEqual(otherApp.status().workload.labels, []);
    await Promise.all([gray.close(), otherDatabase.close(), otherApp.close()]);
  });

  it('takes labels and attributes from options, the environment and the Kubernetes label attribute', async () => {
    process.env['OPENSERGO_WORKLOAD'] = 'version=v2, traffic.opensergo.io/label=canary';
    process.env['OPENSERGO_WORKLOAD_LABELS'] = 'blue,gray';
    const engine = createEngine({ app: 'orders', workload: { zone: 'a' }, workloadLabels: ['gray'], logger: false });
    const { attributes, labels, sources } = engine.status().workload;
    assert.deepEqual(attributes, { version: 'v2', 'traffic.opensergo.io/label': 'canary', zone: 'a', app: 'orders' });
    assert.deepEqual(labels, ['gray', 'blue', 'canary']);
    assert.deepEqual(sources['gray'], ['option workloadLabels', 'OPENSERGO_WORKLOAD_LABELS']);
    assert.deepEqual(sources['canary'], ['attribute traffic.opensergo.io/label']);
    await engine.close();
  });

  it('follows WorkloadLabelRules as the rules change', async () => {
    const engine = createEngine({ rules: LAUNCH_POST_RULE, app: 'my-app-gray', workload: { database: 'foo_db' }, logger: false });
    const result = engine.update('inline', []);
    assert.equal(result.ok, true);
    assert.deepEqual(engine.workload.labels, []);
    await engine.close();
  });

  it('refuses malformed identity options and variables, naming them', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => createEngine({ workloadLabels: ['gray lane'], logger: false }), /option workloadLabels: "gray lane" is not a label/],
      [() => createEngine({ workload: { version: 2 } as never, logger: false }), /workload\.version must be a string/],
      [() => createEngine({ app: 'a', workload: { app: 'b' }, logger: false }), /attribute app "b" disagrees with the app "a"/],
      [() => ((process.env['OPENSERGO_WORKLOAD'] = 'version'), createEngine({ logger: false })), /OPENSERGO_WORKLOAD: expected key=value pairs/],
    ];
    for (const [make, message] of cases) {
      assert.throws(make, (err) => isOpenSergoError(err, 'ERR_OPENSERGO_OPTIONS_INVALID') && message.test(err.message));
    }
  });

  it('refuses rules whose labels could not travel in a header', () => {
    const rules = LAUNCH_POST_RULE.replace("['gray']", "['gray\\u0000', 'ok']");
    assert.throws(
      () => createEngine({ rules, logger: false }),
      (err) => isOpenSergoError(err, 'ERR_OPENSERGO_RULES_INVALID') && /spec\.workloadLabels\[0\]: expected a label token/.test(err.message),
    );
  });
});

describe('TrafficRouter without a client', () => {
  const ROUTER = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficRouter
metadata: { name: to-v2 }
spec:
  hosts: [backend]
  http: [{ route: [{ destination: { host: backend, subset: v2 } }] }]
`;
  const capture = (): { warnings: string[]; logger: { info(): void; warn(m: string): void; error(m: string): void } } => {
    const warnings: string[] = [];
    return { warnings, logger: { info() {}, warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) } };
  };
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('is reported as ignored once, after start-up, when no client uses the engine', async () => {
    const { warnings, logger } = capture();
    const engine = createEngine({ rules: ROUTER, logger });
    await tick();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /TrafficRouter\/to-v2 \(hosts backend\) is ignored: .*@opensergo\/client/);
    assert.equal(engine.update('inline', parseRulesText(ROUTER, 'inline').documents).ok, true, 'the same router again');
    await tick();
    assert.equal(warnings.length, 1, 'said once');
    await engine.close();
  });

  it('is not reported when a client attaches during start-up', async () => {
    const { warnings, logger } = capture();
    const engine = createEngine({ rules: ROUTER, logger });
    const detach = engine.attachClient();
    await tick();
    assert.deepEqual(warnings, []);
    detach();
    await engine.close();
  });
});
