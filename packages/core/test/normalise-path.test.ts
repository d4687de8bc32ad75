import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalisePath } from '../src/matching/normalise-path.js';
import { parseResourcePattern } from '../src/matching/resource-pattern.js';
import { pathRouting, type PathRouting } from '../src/matching/path-routing.js';
import { ResourceIndex, type Binding } from '../src/matching/resource-index.js';

/** A binding of `target` with nothing but what the index reads (its pattern, a guard identity). */
function binding(target: string, order: number): Binding {
  const pattern = parseResourcePattern(target);
  if (typeof pattern === 'string') throw new Error(pattern);
  return { pattern, guard: { order }, stats: { outcomes: {} } } as unknown as Binding;
}

const FASTIFY = pathRouting({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, semicolonDelimiter: true, emptyParams: true });
const FOLDING_FASTIFY = pathRouting({ ...FASTIFY, caseSensitive: false, ignoreDuplicateSlashes: true, ignoreTrailingSlash: true });

describe('normalisePath', () => {
  it('reads /foo in every spelling a router hands to /foo', () => {
    for (const spelling of ['/foo', '/FOO', '/foo/', '/%66oo', '/fo%6F', '/%66%4F%4f', '/foo?x=1', '/foo#frag', 'http://host:8080/foo?x', 'HTTPS://h/foo']) {
      assert.equal(normalisePath(spelling, true), '/foo', spelling);
    }
  });

  it('keeps what routers keep apart: dot segments, empty segments, ";"', () => {
    for (const spelling of ['/users/..', '/users/.', '/bar/../foo', '//foo', '/users//profile', '/foo;x=1', '/foo//']) {
      assert.equal(normalisePath(spelling, true), spelling.replace(/\/$/, ''), spelling);
    }
    assert.equal(normalisePath('/users/%2e%2E', true), '/users/..', 'encoded dots are dots, and stay');
  });

  it('cuts at ";", folds "//" and keeps a trailing "/" as the routing says', () => {
    assert.equal(normalisePath('/foo;x=1', FASTIFY), '/foo');
    assert.equal(normalisePath('/users/', FASTIFY), '/users/');
    assert.equal(normalisePath('//foo', FASTIFY), '//foo');
    assert.equal(normalisePath('//FOO//', FOLDING_FASTIFY), '/foo');
    assert.equal(normalisePath('/FOO', FASTIFY), '/FOO');
  });

  it('folds case as find-my-way does: Unicode, after decoding (the Kelvin sign is k)', () => {
    assert.equal(normalisePath('/%E2%84%AAelvin', true), '/kelvin');
    assert.equal(normalisePath('/%E2%84%AAelvin', FASTIFY), '/\u212Aelvin');
  });

  it('keeps reserved escapes and "%" encoded, so an encoded slash never splits a segment', () => {
    assert.equal(normalisePath('/a%2fb', true), '/a%2fb');
    assert.equal(normalisePath('/a%2fb', false), '/a%2Fb');
    assert.equal(normalisePath('/a%2Fb/c', false), '/a%2Fb/c');
    assert.equal(normalisePath('/%2525', false), '/%2525');
    assert.equal(normalisePath('/caf%C3%A9%3B', false), '/café%3B');
    assert.equal(normalisePath('/bad%C3', false), '/bad%C3', 'not UTF-8: kept');
  });

  it('keeps case when asked to', () => {
    assert.equal(normalisePath('/Foo/Bar/', false), '/Foo/Bar');
    assert.equal(normalisePath('/', true), '/');
    assert.equal(normalisePath('', true), '/');
  });
});

describe('ResourceIndex', () => {
  const index = (routing?: PathRouting) => new ResourceIndex(['/users/{id}', '/users/{id}/profile', '/api/**', '/foo'].map(binding), routing);
  const resource = (i: ResourceIndex, path: string, routing = defaultRouting) => i.lookup('GET', normalisePath(path, routing))?.resource;
  const defaultRouting = pathRouting({ caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, semicolonDelimiter: false, emptyParams: false });

  it('lets a parameter and ** match dot segments, as every router does', () => {
    const i = index();
    assert.equal(resource(i, '/users/..'), '/users/{id}');
    assert.equal(resource(i, '/users/.'), '/users/{id}');
    assert.equal(resource(i, '/users/%2e%2e'), '/users/{id}');
    assert.equal(resource(i, '/users/../profile'), '/users/{id}/profile');
    assert.equal(resource(i, '/api/x/../..'), '/api/**');
    assert.equal(resource(i, '/bar/../foo'), undefined, 'no router resolves it to /foo');
  });

  it('lets a parameter match an empty segment only where the router does', () => {
    assert.equal(resource(index(), '/users//profile'), undefined);
    const fastify = index(FASTIFY);
    assert.equal(resource(fastify, '/users/', FASTIFY), '/users/{id}');
    assert.equal(resource(fastify, '/users//profile', FASTIFY), '/users/{id}/profile');
    assert.equal(resource(fastify, '/FOO', FASTIFY), undefined, 'case-sensitive');
    assert.equal(resource(fastify, '/foo/', FASTIFY), undefined, 'a trailing slash is another path');
  });

  it('takes a path as normalised only when normalising it gives it back (the engine then skips normalising)', () => {
    for (const routing of [defaultRouting, FASTIFY, FOLDING_FASTIFY]) {
      const i = new ResourceIndex(['/foo', '/a%2fb', '/x/', '/Caf%C3%A9', '/a;b'].map(binding), routing);
      for (const url of ['/foo', '/FOO', '/foo/', '/foo?x=1', '/a%2fb', '/a%2Fb', '/x/', '/x', '/Café', '/café', '/a;b', '/a', '//foo']) {
        if (i.isNormalStatic(url)) assert.equal(normalisePath(url, routing), url, `${url} under routing ${routing.key}`);
      }
      assert.equal(i.isNormalStatic('/foo'), true);
      assert.equal(i.isNormalStatic('/foo?x=1'), false);
    }
    // A static key that is not in normal form (not one the parser makes; the flag does not trust keys).
    const odd = binding('/foo', 1);
    const i = new ResourceIndex([{ ...odd, pattern: { ...odd.pattern, path: '/Foo' } }], defaultRouting);
    assert.equal(i.isNormalStatic('/Foo'), false);
  });
});

describe('parseResourcePattern', () => {
  it('reads methods, params and rest', () => {
    const p = parseResourcePattern('get:/Users/{id}/:tab/**');
    assert.ok(typeof p !== 'string', "typeof p !== 'string'");
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
