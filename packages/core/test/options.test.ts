// Options of the wrong type are refused, naming the option and what it must be (issue 13
// item 6): they used to be read as truthy, so `trustIncomingLabels: "false"` let clients pick
// their lane, and `logger: "console"` crashed with a raw TypeError on the first log line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEngine, FakeClock, isOpenSergoError } from '../src/index.js';

function refusal(options: unknown): string {
  try {
    createEngine(options as never);
  } catch (error) {
    assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_OPTIONS_INVALID'), `unexpected error: ${String(error)}`);
    return error.message;
  }
  assert.fail(`accepted ${JSON.stringify(options)}`);
}

describe('option types', () => {
  it('trustIncomingLabels: "false" refuses to start, naming the option', () => {
    assert.equal(
      refusal({ trustIncomingLabels: 'false' }),
      'Invalid OpenSergo options: `trustIncomingLabels` must be true or false, got "false" (a string: write false without quotes)',
    );
  });

  it('logger: "console" is refused rather than crashing later', () => {
    assert.equal(
      refusal({ logger: 'console' }),
      'Invalid OpenSergo options: `logger` must be false, or a logger with info, warn and error methods (such as console), got "console" (a string)',
    );
    assert.match(refusal({ logger: console.log }), /`logger` must be .*, got a function$/);
  });

  it('each option is checked', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ rules: 42 }, /`rules` must be YAML text \(a string\) or an array of parsed documents, got 42 \(a number\)/],
      [{ rulesFile: '' }, /`rulesFile` must be a path \(a non-empty string\), got ""/],
      [{ app: 7 }, /`app` must be an app name/],
      [{ namespace: '' }, /`namespace` must be a namespace/],
      [{ caseSensitive: 'yes' }, /`caseSensitive` must be true or false, got "yes" \(a string\)/],
      [{ watch: 0 }, /`watch` must be true or false, got 0 \(a number\)/],
      [{ clock: Date }, /`clock` must be a clock/],
      [{ store: {} }, /`store` must be a store/],
      [{ engine: {} }, /`engine` must be an engine made with createEngine/],
      [{ controlPlane: 'localhost:10246' }, /`controlPlane` must be false, or \{ endpoint: "host:port", namespace\?, app\? \}, got "localhost:10246"/],
      [{ controlPlane: { endpoint: '' } }, /`controlPlane` must be/],
      [{ sources: [{}] }, /`sources` must be an array of rule sources/],
      [{ dryRun: 'true' }, /`dryRun` must be true or false, got "true" \(a string: write true without quotes\)/],
      [{ rateLimitHeaders: 1 }, /`rateLimitHeaders` must be true or false, got 1/],
      [{ outcomeMetrics: 'every' }, /`outcomeMetrics` must be "tracked" or "all", got "every"/],
      [{ openTelemetry: { meterProvider: {} } }, /`openTelemetry` must be true, false, or \{ meterProvider \}/],
      [{ rules: '', rulesFile: 'x.yaml' }, /give either `rules` or `rulesFile`, not both/],
    ];
    for (const [options, message] of cases) assert.match(refusal({ logger: false, ...options }), message, JSON.stringify(options));
  });

  it('a misspelt option name is refused with the name it is close to', () => {
    assert.equal(refusal({ trustIncommingLabels: false }), 'Invalid OpenSergo options: unknown option `trustIncommingLabels` (did you mean `trustIncomingLabels`?)');
    assert.match(refusal({ rulefile: 'x.yaml' }), /did you mean `rulesFile`/);
  });

  it('options that are not an object', () => {
    assert.match(refusal('./opensergo.yaml'), /expected an object such as \{ rulesFile: '\.\/opensergo\.yaml' \}, got "\.\/opensergo\.yaml"/);
  });

  it('accepts what is documented, and names far from any option (a Fastify plugin gets `prefix` too)', async () => {
    const engine = createEngine({ rules: [], logger: console, clock: new FakeClock(), caseSensitive: true, trustIncomingLabels: false, watch: false, controlPlane: false, sources: [], prefix: '/api' } as never);
    await engine.close();
    const quiet = createEngine({ rules: '', logger: false });
    await quiet.close();
  });
});
