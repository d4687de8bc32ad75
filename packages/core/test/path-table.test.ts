import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PathTable } from '../src/matching/path-table.js';
import { parseResourcePattern } from '../src/matching/resource-pattern.js';
import { ResourceIndex, type Binding } from '../src/matching/resource-index.js';

/** Every string one edit away from `key`: each character changed, dropped or doubled, and one added at each end. */
function nearMisses(key: string): string[] {
  const out = [`${key}/`, `/${key}`, `${key}x`, key.slice(1), key.slice(0, -1), key.toUpperCase(), ` ${key}`, `${key}\u0000`];
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    out.push(key.slice(0, i) + String.fromCharCode(c + 1) + key.slice(i + 1));
    out.push(key.slice(0, i) + String.fromCharCode(c ^ 0x20) + key.slice(i + 1));
    out.push(key.slice(0, i) + String.fromCharCode(c + 0x100) + key.slice(i + 1));
    out.push(key.slice(0, i) + key.slice(i + 1));
    out.push(key.slice(0, i) + key[i]! + key.slice(i));
  }
  return out;
}

/** The table answers as the map of the same entries does, for the keys and for `probes`. */
function assertSameAsMap(entries: Map<string, number>, probes: readonly string[]): void {
  const table = new PathTable<number>(entries.size);
  for (const [key, value] of entries) table.set(key, value);
  for (const [key, value] of entries) assert.equal(table.get(key), value, key);
  // A key built at run time (as a request's path is), not the literal the map holds.
  for (const key of entries.keys()) assert.equal(table.get([...key].join('')), entries.get(key), `${key} (a copy)`);
  for (const probe of probes) assert.equal(table.get(probe), entries.get(probe), JSON.stringify(probe));
}

describe('PathTable', () => {
  it('finds exactly the keys of a map: near misses are not found', () => {
    const keys = ['/bench', '/', '/users', '/users/me', '/api/v1/orders', '/a', '/Café', '/x%2Fy', '/foo;bar'];
    const entries = new Map(keys.map((k, i) => [k, i]));
    assertSameAsMap(entries, [...keys.flatMap(nearMisses), '', '//', '/bench?x=1', '/bench#f', 'bench']);
  });

  it('keeps keys apart that share a signature (same length, same characters where it reads)', () => {
    // n = 9: the last character, the middle one (4) and the one a quarter in (2) agree.
    const entries = new Map([['/other/17', 1], ['/other/27', 2], ['/xtxex/57', 3]]);
    assertSameAsMap(entries, ['/other/37', '/other/1', '/other/177', '/Other/17', ...nearMisses('/other/17')]);
  });

  it('answers as the map with 10,000 keys alike (the benchmark`s `many` rules), and with none', () => {
    const entries = new Map<string, number>([['/bench', -1]]);
    for (let i = 0; i < 10_000; i++) entries.set(`/other/${i}`, i);
    const probes = ['/other/10000', '/other/-1', '/other/', '/other', '/other/01', '/others/1', ...nearMisses('/bench'), ...nearMisses('/other/9999')];
    assertSameAsMap(entries, probes);
    assertSameAsMap(new Map(), ['', '/', '/bench']);
  });

  it('sets a key again as a map does: the last value wins, also in a shared slot', () => {
    const table = new PathTable<number>(3);
    for (const [key, value] of [['/bench', 1], ['/other/17', 2], ['/other/27', 3], ['/bench', 4], ['/other/17', 5], ['/other/27', 6]] as const) {
      table.set(key, value);
    }
    assert.deepEqual(['/bench', '/other/17', '/other/27', '/other/37'].map((k) => table.get(k)), [4, 5, 6, undefined]);
  });

  it('answers with more keys than it was sized for', () => {
    const entries = new Map(Array.from({ length: 500 }, (_, i) => [`/p/${i}`, i] as const));
    const table = new PathTable<number>(1);
    for (const [key, value] of entries) table.set(key, value);
    for (const [key, value] of entries) assert.equal(table.get(key), value);
    assert.equal(table.get('/p/500'), undefined);
  });

  it('takes the empty string as any other key', () => {
    assertSameAsMap(new Map([['', 7]]), ['/', ' ', '\u0000']);
    assertSameAsMap(new Map([['/', 7]]), ['', '//']);
  });
});

describe('ResourceIndex with 10,000 static targets', () => {
  const binding = (target: string, order: number): Binding => {
    const pattern = parseResourcePattern(target);
    if (typeof pattern === 'string') throw new Error(pattern);
    return { pattern, guard: { order }, stats: { outcomes: {} } } as unknown as Binding;
  };

  it('maps every target to itself and nothing else to any', () => {
    const targets = ['/bench', ...Array.from({ length: 10_000 }, (_, i) => `/other/${i}`)];
    const index = new ResourceIndex(targets.map(binding));
    for (const target of targets) {
      assert.equal(index.lookup('GET', target)?.resource, target);
      assert.notEqual(index.lookupAsIs('GET', target, false), false, target);
    }
    for (const miss of ['/other/10000', '/other/', '/benc', '/benchh', '/bencH', '/other/1/']) {
      assert.equal(index.lookup('GET', miss), undefined, miss);
    }
    assert.equal(index.lookupAsIs('GET', '/Bench', false), false, 'not a normal static path: normalised first');
  });
});
