import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOpenSergoError } from '@opensergo/core';
import { resolveBootstrap } from '../src/index.js';

function throwsControlPlaneError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isOpenSergoError(err, 'ERR_OPENSERGO_CONTROL_PLANE'), String(err));
    assert.match(err.message, message);
    return true;
  });
}

test('neither variable set: no bootstrap', () => {
  assert.equal(resolveBootstrap({}), undefined);
  assert.equal(resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: '  ', OPENSERGO_BOOTSTRAP: '' }), undefined);
});

test('OPENSERGO_BOOTSTRAP_CONFIG holds the JSON, and wins over OPENSERGO_BOOTSTRAP', () => {
  const env = { OPENSERGO_BOOTSTRAP_CONFIG: '{"endpoint":"127.0.0.1:10246"}', OPENSERGO_BOOTSTRAP: '/does/not/exist.json' };
  assert.deepEqual(resolveBootstrap(env), { endpoint: '127.0.0.1:10246' });
  assert.deepEqual(resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: '{"endpoint":"[::1]:10246"}' }), { endpoint: '[::1]:10246' });
});

test('OPENSERGO_BOOTSTRAP names a file holding the JSON', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'opensergo-bootstrap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify({ endpoint: 'opensergo-control-plane.opensergo-system:10246' }));
  assert.deepEqual(resolveBootstrap({ OPENSERGO_BOOTSTRAP: file }), { endpoint: 'opensergo-control-plane.opensergo-system:10246' });
  writeFileSync(file, '{"endpoint":');
  throwsControlPlaneError(() => resolveBootstrap({ OPENSERGO_BOOTSTRAP: file }), /^OPENSERGO_BOOTSTRAP file ".*bootstrap\.json" is not valid JSON .*expected JSON such as \{"endpoint":"127\.0\.0\.1:10246"\}/);
});

test('invalid JSON, a missing or malformed endpoint, an unreadable file: the error names the variable and what was expected', () => {
  throwsControlPlaneError(() => resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: 'endpoint=1.2.3.4:10246' }), /^OPENSERGO_BOOTSTRAP_CONFIG is not valid JSON/);
  throwsControlPlaneError(() => resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: '{"host":"1.2.3.4"}' }), /^OPENSERGO_BOOTSTRAP_CONFIG has no "endpoint"; expected JSON/);
  throwsControlPlaneError(() => resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: 'null' }), /has no "endpoint"/);
  throwsControlPlaneError(
    () => resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: '{"endpoint":"http://1.2.3.4:10246"}' }),
    /^OPENSERGO_BOOTSTRAP_CONFIG has endpoint "http:\/\/1\.2\.3\.4:10246"; expected "host:port"/,
  );
  throwsControlPlaneError(() => resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: '{"endpoint":"1.2.3.4:99999"}' }), /has endpoint "1\.2\.3\.4:99999"/);
  throwsControlPlaneError(() => resolveBootstrap({ OPENSERGO_BOOTSTRAP: '/does/not/exist.json' }), /^OPENSERGO_BOOTSTRAP names "\/does\/not\/exist\.json", which cannot be read/);
});
