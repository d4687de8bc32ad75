// The fast parse (js-yaml, positions when asked) must give what the full `yaml` parse gives:
// same values, document numbers, positions, scalar spellings and problems. The texts below are
// the differences fuzzing against `yaml` found, and the YAML features sent to `yaml` on purpose.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactDocuments } from '../src/rules/parse-exact.js';
import { ChunkCache } from '../src/rules/parse-fast.js';
import { expandLists, parseRulesSteps, yamlText } from '../src/rules/parse-yaml.js';
import type { LocatedDocument, SourceTextDocument } from '../src/rules/source.js';
import { runSync } from '../src/rules/steps.js';

type Path = (string | number)[];

/** Every path in `value`, and one past the end of each collection. */
function paths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((item, i) => paths(item, [...prefix, i], out));
    out.push([...prefix, value.length]);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths(item, [...prefix, key], out);
    out.push([...prefix, 'missing']);
  }
  return out;
}

function assertSameAsYaml(text: string, cache?: ChunkCache): void {
  // parseRulesSteps drops byte-order marks and turns a lone CR into LF before either parse.
  const exact = runSync(exactDocuments(yamlText(text), 'f.yaml'));
  const expected = { documents: exact.documents.flatMap(expandLists), problems: exact.problems };
  const actual = runSync(parseRulesSteps(text, 'f.yaml', cache));
  const label = JSON.stringify(text.slice(0, 80));
  assert.deepEqual(actual.problems, expected.problems, label);
  assert.equal(actual.documents.length, expected.documents.length, label);
  expected.documents.forEach((want: LocatedDocument, i) => {
    const got = actual.documents[i]!;
    assert.deepEqual(got.value, want.value, label);
    assert.equal(got.index, want.index, label);
    for (const path of paths(want.value)) {
      assert.deepEqual(got.locate(path), want.locate(path), `${label} ${JSON.stringify(path)}`);
      const source = (d: LocatedDocument) => (d as SourceTextDocument).scalarSource(path);
      assert.equal(source(got), source(want), `${label} ${JSON.stringify(path)}`);
    }
  });
}

const RULE = (i: number, threshold: number | string = 5) =>
  `apiVersion: fault-tolerance.opensergo.io/v1alpha1\nkind: RateLimitStrategy\nmetadata:\n  name: r-${i}\nspec:\n  threshold: ${threshold}\n  statDuration: 1s\n`;

describe('the fast parse reads what yaml reads', () => {
  it('numbers, including ones too large for a double', () => {
    for (const n of ['007', '0o17', '0x1F', '+12', '-0', '1.', '.5', '1e3', '12e345', '-12e345', '9'.repeat(400), '1_000', '0b101', '.inf', '-.Inf', '.NaN']) {
      assertSameAsYaml(`a: ${n}\nb: [${n}]\n`);
    }
  });

  it('keys: null, empty, numbers written two ways, long ones', () => {
    for (const text of ['null: 1\n', '~: 1\n', ': x\n', 'a:\n  :  x:\n    y: z\n', '1: a\n"1": b\n', `${'k'.repeat(1100)}: 1\n`, '[a, b]: c\n', '__proto__: 1\n']) {
      assertSameAsYaml(text);
    }
  });

  it('markers, directives, anchors, tags, tabs, line ends', () => {
    for (const text of [
      '...\na: 1\n',
      'a: 1\n...\nb: 2\n',
      ' ---\n  a: 1\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      '\t1\n',
      'a:\t1\n',
      'a: "x\\\n\n  y"\n',
      'a: 1\r\nb: 2\r\n',
      'a: 1\rb: 2\n',
      '\uFEFFa: 1\n',
      '# only a comment\n',
      '---\n# nothing\n---\n\n---\na: 1\n---\n',
    ]) {
      assertSameAsYaml(text);
    }
  });

  it('syntax errors, reported by yaml', () => {
    for (const text of ['a: [1, 2\n', 'a: b: c\n', 'key: "unterminated\n', 'a:\n  b: 1\n c: 2\n', 'a: 1\na: 2\n', `${RULE(1)}---\nkind: X\n\tmetadata: x\n`]) {
      assertSameAsYaml(text);
    }
  });

  it('lists, and documents that are not mappings', () => {
    assertSameAsYaml(`apiVersion: v1\nkind: List\nitems:\n- ${RULE(1).trimEnd().split('\n').join('\n  ')}\n-   a: 1\n- x\n-\n- [1]\n`);
    assertSameAsYaml('kind: List\nitems: [{a: 1}, {b: 2}]\n');
    assertSameAsYaml('- a\n- b\n');
    assertSameAsYaml('just a scalar\n');
  });

  it('large texts, read in pieces, and read again with a cache after edits', () => {
    const docs = Array.from({ length: 600 }, (_, i) => RULE(i));
    const cache = new ChunkCache();
    assertSameAsYaml(`# a prelude\n\n${docs.join('---\n')}`, cache);
    docs[0] = RULE(0, 6);
    assertSameAsYaml(docs.join('---\n'), cache);
    docs[300] = `${RULE(300)}# two more lines\n\n`;
    assertSameAsYaml(docs.join('---\n'), cache);
    docs[599] = RULE(599, 'ten');
    assertSameAsYaml(docs.join('---\n'), cache);
    docs[42] = RULE(42, '[unclosed');
    assertSameAsYaml(docs.join('---\n'), cache);
  });
});
