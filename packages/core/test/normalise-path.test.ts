import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalisePath } from '../src/matching/normalise-path.js';
import { parseResourcePattern } from '../src/matching/resource-pattern.js';

describe('normalisePath', () => {
  it('folds every spelling a framework routes to /foo', () => {
    for (const spelling of ['/foo', '/FOO', '/foo/', '//foo', '/%66oo', '/%66%4F%4f', '/bar/../foo', '/./foo', '/foo?x=1', '/foo#frag', 'http://host:8080/foo?x', '/../foo', '/foo//']) {
      assert.equal(normalisePath(spelling, true), '/foo', spelling);
    }
  });

  it('keeps reserved escapes encoded, so an encoded slash never splits a segment', () => {
    assert.equal(normalisePath('/a%2fb', true), '/a%2fb');
    assert.equal(normalisePath('/a%2fb', false), '/a%2Fb');
    assert.equal(normalisePath('/a%2Fb/c', false), '/a%2Fb/c');
    assert.equal(normalisePath('/%2e%2e/foo', true), '/foo', 'encoded dots are dots');
  });

  it('keeps case when asked to', () => {
    assert.equal(normalisePath('/Foo/Bar/', false), '/Foo/Bar');
    assert.equal(normalisePath('/', true), '/');
    assert.equal(normalisePath('', true), '/');
  });
});

describe('parseResourcePattern', () => {
  it('reads methods, params and rest', () => {
    const p = parseResourcePattern('get:/Users/{id}/:tab/**');
    assert.ok(typeof p !== 'string');
    assert.equal(p.method, 'GET');
    assert.equal(p.path, '/users/{id}/:tab/**');
    assert.deepEqual(p.segments.map((s) => s.type), ['literal', 'param', 'param']);
    assert.equal(p.rest, true);
    assert.equal(p.isStatic, false);
  });

  it('explains what was expected', () => {
    assert.match(String(parseResourcePattern('/a/**/b')), /last segment/);
    assert.match(String(parseResourcePattern('/a{id}')), /whole segment/);
    assert.match(String(parseResourcePattern('/a?x=1')), /query/);
  });
});
