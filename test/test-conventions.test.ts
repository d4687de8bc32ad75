// What every test file must do so that a failing test reports quickly: each assert.ok() and
// assert() carries its message. Without one, Node builds the message by re-reading the source
// file at the failing call's position; under tsx that position is the compiled code's, not
// the TypeScript file's, and the search took 70 s for one assertion in a long file (seen on a
// loaded run, where three such failures held a whole test run for over ten minutes).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import ts from 'typescript';
import { repo } from './markdown.js';
import { typeScriptFiles } from './repo-files.js';

/** `file:line  assert.ok(...)` for every assert.ok / assert call with a single argument. */
function unexplained(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(repo, file), 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length === 1 && ['assert', 'assert.ok'].includes(node.expression.getText(source))) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${file}:${line + 1}  ${node.getText(source).slice(0, 80)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

it('every assert.ok() in the tests says what it checks', () => {
  const files = [...readdirSync(join(repo, 'packages')).flatMap((pkg) => typeScriptFiles(`packages/${pkg}/test`)), ...typeScriptFiles('test')];
  assert.ok(files.length > 50, `found the test files (${files.length})`);
  assert.deepEqual(files.flatMap(unexplained), []);
});
