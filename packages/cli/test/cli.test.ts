// The real `opensergo` bin, run as npx runs it (issue 18): validate and explain.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createEngine, isOpenSergoError } from '@opensergo/core';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'node_modules/.bin/opensergo');
const launchPost = join(root, 'examples/opensergo.yaml');
const dir = mkdtempSync(join(tmpdir(), 'opensergo-cli-'));

/** Runs the bin from `dir`, on the TypeScript sources (so no stale build is tested). */
function opensergo(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(bin, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: `--conditions=opensergo-source --import ${join(root, 'node_modules/tsx/dist/esm/index.mjs')}` },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const BROKEN = `apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata:
  name: rate-limit-foo
spec:
  metricType: RequestAmount
  limitMode: Everywhere
  threshold: -1
  statDuration: "1 second"
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata:
  name: my-rule
spec:
  targets:
    - targetResourceName: /foo
  strategies:
    - name: rate-limit-fo
`;
writeFileSync(join(dir, 'broken.yaml'), BROKEN);

describe('opensergo validate', () => {
  it('prints the same problems the service would, each with file:line:col, and exits 1', () => {
    const run = opensergo('validate', 'broken.yaml');
    assert.equal(run.status, 1);
    let expected = '';
    try {
      createEngine({ rulesFile: join(dir, 'broken.yaml'), logger: false, watch: false });
    } catch (error) {
      assert.ok(isOpenSergoError(error), 'isOpenSergoError(error)');
      expected = error.message.replaceAll(join(dir, 'broken.yaml'), 'broken.yaml');
    }
    assert.equal(run.stderr.trim(), expected);
    assert.match(run.stderr, /broken\.yaml:7:14 RateLimitStrategy\/rate-limit-foo spec\.limitMode/);
    assert.match(run.stderr, /broken\.yaml:19:13 FaultToleranceRule\/my-rule spec\.strategies\[0\]\.name/);
    assert.equal(run.stderr.split('\n').filter((l) => l.startsWith('broken.yaml:')).length, 4);
  });

  it('passes the launch post, and says what applies', () => {
    const run = opensergo('validate', launchPost, '--app', 'my-app');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^ok: 1 FaultToleranceRule\(s\), 1 TrafficLabelRule\(s\), .*1 strategies, 1 fallback action\(s\) apply to app my-app/);
    const other = opensergo('validate', launchPost, '--app', 'other-app');
    assert.match(other.stdout, /^ok: 0 FaultToleranceRule\(s\), 0 TrafficLabelRule\(s\)/);
  });

  it('counts every kind it read: a file of TrafficRouters and WorkloadLabelRules is not "ok: 0 …"', () => {
    const run = opensergo('validate', launchPost);
    assert.match(run.stdout, /^ok: 1 FaultToleranceRule\(s\), 1 TrafficLabelRule\(s\), 1 WorkloadLabelRule\(s\), 0 TrafficRouter\(s\), 1 strategies, 1 fallback action\(s\) apply to every app and namespace/);
    writeFileSync(join(dir, 'router.yaml'), 'apiVersion: traffic.opensergo.io/v1alpha1\nkind: TrafficRouter\nmetadata: { name: r }\nspec:\n  hosts: [backend]\n  http: [{ route: [{ destination: { host: backend, subset: v1 } }] }]\n');
    assert.match(opensergo('validate', 'router.yaml').stdout, /^ok: 0 FaultToleranceRule\(s\), 0 TrafficLabelRule\(s\), 0 WorkloadLabelRule\(s\), 1 TrafficRouter\(s\)/);
  });

  it('checks several files as one rule set, and refuses a file it cannot read', () => {
    writeFileSync(join(dir, 'strategy.yaml'), BROKEN.split('---')[0]!.replace('Everywhere', 'Local').replace('-1', '5').replace('"1 second"', '1s'));
    writeFileSync(join(dir, 'rule.yaml'), BROKEN.split('---')[1]!.replace('rate-limit-fo\n', 'rate-limit-foo\n'));
    assert.equal(opensergo('validate', 'strategy.yaml', 'rule.yaml').status, 0);
    assert.equal(opensergo('validate', 'rule.yaml').status, 1, 'the rule alone names a strategy nothing defines');
    const missing = opensergo('validate', 'nope.yaml');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read nope\.yaml/);
    mkdirSync(join(dir, 'rules.d'), { recursive: true });
    const directory = opensergo('validate', 'rules.d');
    assert.equal(directory.status, 2);
    assert.match(directory.stderr, /cannot read rules\.d: it is a directory; give the files in it \(rules\.d\/\*\.yaml\)/);
  });

  it('reads a file the way the service does: Latin-1 is refused as the service refuses it, UTF-16 with a byte-order mark passes', () => {
    const launch = readFileSync(launchPost, 'utf8');
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from(launch.replace('"Blocked by Sentinel"', '"Bloqué par Sentinel"'), 'latin1'));
    const latin1 = opensergo('validate', 'latin1.yaml');
    assert.equal(latin1.status, 1, latin1.stdout);
    assert.match(latin1.stderr, /latin1\.yaml:\d+:\d+ file encoding: not valid UTF-8 \(bytes E9 20 70 61…\)/);
    assert.throws(() => createEngine({ rulesFile: join(dir, 'latin1.yaml'), logger: false, watch: false }), /file encoding: not valid UTF-8/);
    writeFileSync(join(dir, 'utf16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(launch, 'utf16le')]));
    const utf16 = opensergo('validate', 'utf16.yaml');
    assert.equal(utf16.status, 0, utf16.stderr);
    assert.match(utf16.stdout, /^ok: 1 FaultToleranceRule\(s\)/);
    assert.equal(opensergo('explain', 'utf16.yaml', 'GET', '/foo').status, 0);
  });
});

describe('opensergo explain', () => {
  it("says gray for the launch post's user 12345 on /index, and names the rule that labels it", () => {
    const run = opensergo('explain', launchPost, 'GET', '/index', '-H', 'X-User-Id: 12345');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /labels: +gray \(TrafficLabelRule my-traffic-label-rule\)/);
    assert.match(run.stdout, /checks: +none/);
    const other = opensergo('explain', launchPost, 'GET', '/index', '-H', 'X-User-Id: 1');
    assert.match(other.stdout, /labels: +none/);
  });

  it('lists the checks on /foo in order and what a fresh engine decides', () => {
    const run = opensergo('explain', launchPost, 'get', '/FOO/?x=1');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /resource: +\/foo/);
    assert.match(run.stdout, /1\. FaultToleranceRule my-rule: RateLimitStrategy rate-limit-foo on \/foo, fallback HttpRequestFallbackAction\/fallback-foo/);
    assert.match(run.stdout, /decision: +pass/);
    writeFileSync(join(dir, 'zero.yaml'), BROKEN.replace('Everywhere', 'Local').replace('-1', '0').replace('"1 second"', '1s').replace('rate-limit-fo\n', 'rate-limit-foo\n'));
    assert.match(opensergo('explain', 'zero.yaml', 'GET', '/foo').stdout, /decision: +block by RateLimitStrategy in my-rule: 429 "Too Many Requests\\n"/);
  });

  it('reports invalid rules exactly as validate does: a syntax error and the other problems together', () => {
    writeFileSync(join(dir, 'syntax.yaml'), BROKEN.replace('  threshold: -1', '\tthreshold: -1'));
    const explained = opensergo('explain', 'syntax.yaml', 'GET', '/foo');
    const validated = opensergo('validate', 'syntax.yaml');
    assert.equal(explained.status, 1);
    assert.match(validated.stderr, /syntax\.yaml:8:1 RateLimitStrategy\/rate-limit-foo yaml: invalid YAML: a tab/);
    assert.match(validated.stderr, /syntax\.yaml:19:13 FaultToleranceRule\/my-rule spec\.strategies\[0\]\.name/);
    assert.equal(explained.stderr, validated.stderr);
  });

  it('exits 1 on invalid rules and 2 on a malformed header', () => {
    assert.equal(opensergo('explain', 'broken.yaml', 'GET', '/foo').status, 1);
    const bad = opensergo('explain', launchPost, 'GET', '/foo', '-H', 'no colon');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /'Name: value'/);
  });
});
