// Say it when nothing is governed (issue 13 item 6): an app no rule names, an empty file, a
// ConfigMap manifest given as the rules file. And read that ConfigMap's rules when it has some.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createEngine, isOpenSergoError, parseRulesText, type Logger } from '../src/index.js';
import { nothingGoverned } from '../src/rules/scope-report.js';
import { admitted } from './helpers/rate-limit-rules.js';
import { watchedFiles } from './helpers/watched-files.js';
import { docs, rateLimit, rule } from './fixtures/rules/helpers.js';

const files = watchedFiles('opensergo-governed-');

function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, logger: { info() {}, error() {}, warn: (m) => warnings.push(m) } };
}

/** Starts an engine on a rules file holding `text`; returns what it warned. */
function start(text: string, options: { app?: string; namespace?: string } = {}): string[] {
  const { logger, warnings } = recorder();
  const file = join(files.dir(), 'opensergo.yaml');
  writeFileSync(file, text);
  files.track(createEngine({ rulesFile: file, logger, watch: false, ...options }));
  return warnings;
}

const forApp = (app: string, name = 'r', namespace?: string): string =>
  docs(rateLimit(`${name}-limit`), rule(name, [`${name}-limit`], namespace === undefined ? {} : { namespace }).replace('spec:\n', `spec:\n  selector: { app: ${app} }\n`));

describe('nothing governed', () => {
  it('rules only for app other-app in a service started as my-app: one warning naming both', () => {
    const warnings = start(docs(forApp('other-app', 'a'), forApp('other-app', 'b')), { app: 'my-app' });
    assert.deepEqual(warnings, [
      'nothing is governed: no rule applies to app "my-app": the 2 rules are for app "other-app" (2); every request passes ungoverned. Set the option `app`/`namespace` (or OPENSERGO_APP/OPENSERGO_NAMESPACE) to what the rules name, or the rules\' spec.selector.app / metadata.namespace to this process',
    ]);
  });

  it('names the namespace when that is what differs', () => {
    const [warning] = start(forApp('my-app', 'a', 'staging'), { app: 'my-app', namespace: 'prod' });
    assert.match(warning!, /no rule applies to app "my-app" in namespace "prod": the 1 rule is for namespace "staging" \(1\)/);
  });

  it('an empty or comments-only file', () => {
    assert.deepEqual(start(''), ['nothing is governed: the rules are empty (no document, or only comments); every request passes ungoverned']);
    assert.equal(start('# rules go here\n---\n# later\n').length, 1);
  });

  it('strategies without a rule that applies them', () => {
    const [warning] = start(rateLimit('lonely'));
    assert.match(warning!, /the rules define RateLimitStrategy\/lonely but no FaultToleranceRule, TrafficLabelRule, TrafficRouter or WorkloadLabelRule/);
  });

  it('only other resources (a Deployment)', () => {
    const [warning] = start('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\n');
    assert.match(warning!, /the rules hold no OpenSergo resource \(only Deployment\/web\)/);
  });

  it('a ConfigMap manifest whose data holds no rules is named as such', () => {
    const [warning] = start('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata:\n  app.properties: "x=1"\n');
    assert.match(warning!, /the rules are a Kubernetes ConfigMap \(ConfigMap\/settings\) whose data \(app\.properties\) holds no OpenSergo rules; .*Mount the ConfigMap as a volume/);
  });

  it('says nothing when a rule applies, or when no rules were given at all', () => {
    assert.deepEqual(start(forApp('my-app'), { app: 'my-app' }), []);
    const { logger, warnings } = recorder();
    files.track(createEngine({ rules: [], logger }));
    assert.deepEqual(warnings, []);
  });

  it('stays quiet about a rule for this process that is not in force yet (a pending rule has its own report)', () => {
    const { documents } = parseRulesText(forApp('my-app'), 'rules.yaml');
    const none = { trafficLabelRules: [], workloadLabelRules: [], trafficRouters: [], faultToleranceRules: [], strategies: [], fallbackActions: [] };
    assert.equal(nothingGoverned(none, documents, { app: 'my-app', namespace: undefined }), undefined);
    assert.match(nothingGoverned(none, documents, { app: 'other', namespace: undefined })!, /the 1 rule is for app "my-app"/);
  });

  it('after a reload: once when it stops governing, again only when the reason changes', async () => {
    const { logger, warnings } = recorder();
    const file = join(files.dir(), 'opensergo.yaml');
    writeFileSync(file, forApp('my-app'));
    const watched = files.track(createEngine({ rulesFile: file, app: 'my-app', logger }));
    const reload = async (text: string): Promise<void> => {
      const loaded = once(watched.events, 'rules:loaded');
      writeFileSync(file, text);
      await loaded;
    };
    assert.deepEqual(warnings, []);
    await reload(forApp('my-ap'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /the 1 rule is for app "my-ap"/);
    await reload(`${forApp('my-ap')}\n# touched\n`);
    assert.equal(warnings.length, 1, 'the same reason is not said twice');
    await reload(forApp('myapp'));
    assert.equal(warnings.length, 2);
    await reload(forApp('my-app'));
    await reload(forApp('my-ap'));
    assert.equal(warnings.length, 3, 'governing again, then not: said again');
  });
});

describe('a Kubernetes ConfigMap manifest as the rules file', () => {
  const configMap = (threshold: string): string =>
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: opensergo-rules',
      'data:',
      '  application.yml: |',
      '    server: { port: 8080 }',
      '  opensergo.yaml: |',
      ...docs(rateLimit('limit-foo').replace('threshold: 10', `threshold: ${threshold}`), rule('r', ['limit-foo']))
        .split('\n')
        .map((l) => `    ${l}`),
    ].join('\n');

  it('is read as the rules its data carries', () => {
    const file = join(files.dir(), 'cm.yaml');
    writeFileSync(file, configMap('2'));
    const { logger, warnings } = recorder();
    const engine = files.track(createEngine({ rulesFile: file, logger, watch: false }));
    assert.equal(admitted(engine, '/foo', 5), 2);
    assert.deepEqual(warnings, []);
  });

  it('reports a problem in a data value at its line and column in the file', () => {
    const file = join(files.dir(), 'cm.yaml');
    writeFileSync(file, configMap('ten'));
    assert.throws(() => createEngine({ rulesFile: file, logger: false, watch: false }), (error: unknown) => {
      assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), "isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID')");
      // the data value starts on line 9; its threshold is on its 8th line, at column 14, indented 4
      assert.deepEqual(
        error.problems.map((p) => [p.line, p.column, p.field]),
        [[16, 18, 'spec.threshold']],
      );
      return true;
    });
  });
});
