// The outlier detector's record keeping on a fake clock: what counts as a failure, how long
// an ejection lasts, how many of an app may be out at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, silentLogger, type Instance } from '@opensergo/core';
import { OutlierDetector, type OutlierOptions } from '../src/routing/outlier.js';

const instancesOf = (count: number): Instance[] => Array.from({ length: count }, (_, i) => ({ url: `http://10.0.0.${i + 1}:80`, labels: [], attributes: {} }));

function setup(options: OutlierOptions, count = 3) {
  const clock = new FakeClock(0);
  const detector = new OutlierDetector(clock, silentLogger, options);
  const instances = instancesOf(count);
  const live = (): string[] => detector.filter('app', instances).map((i) => i.url);
  live(); // routing has seen the app
  const fail = (index: number, times = 1, result: number | Error = 503): void => {
    for (let i = 0; i < times; i++) detector.report('app', instances[index]!, result);
  };
  return { clock, detector, instances, live, fail };
}

describe('OutlierDetector', () => {
  it('counts 5xx and errors in a row; a success or a 4xx resets the count; the caller\'s abort is no verdict', () => {
    const { instances, live, fail, detector } = setup({ consecutiveFailures: 3 });
    fail(0, 2);
    detector.report('app', instances[0]!, 404);
    fail(0, 2);
    detector.report('app', instances[0]!, Object.assign(new Error('aborted'), { name: 'AbortError' }));
    assert.equal(live().length, 3, 'two failures, a 404, two failures, an abort: never three in a row');
    fail(0, 1, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    assert.deepEqual(live(), [instances[1]!.url, instances[2]!.url]);
  });

  it('the n-th ejection lasts n × baseEjectionMs, at most maxEjectionMs; staying in earns one back per baseEjectionMs', () => {
    const { clock, live, fail } = setup({ consecutiveFailures: 1, baseEjectionMs: 1_000, maxEjectionMs: 2_500 });
    const ejectedFor = (): number => {
      let waited = 0;
      while (live().length === 2) clock.advance(100), (waited += 100);
      return waited;
    };
    fail(0);
    assert.equal(ejectedFor(), 1_000);
    fail(0); // the probe fails
    assert.equal(ejectedFor(), 2_000);
    fail(0);
    assert.equal(ejectedFor(), 2_500, 'capped');
    clock.advance(2_000); // in for two base times since its return: two ejections forgiven (3 → 1)
    fail(0, 1, 200);
    fail(0);
    assert.equal(ejectedFor(), 2_000, 'the second ejection again');
  });

  it('at most maxEjectionPercent of an app is out at once, at least one may be, never the last one', () => {
    const ten = setup({ consecutiveFailures: 1, maxEjectionPercent: 10 }, 10);
    for (let i = 0; i < 10; i++) ten.fail(i);
    assert.equal(ten.live().length, 9, '10% of 10');
    const half = setup({ consecutiveFailures: 1, maxEjectionPercent: 50 }, 10);
    for (let i = 0; i < 10; i++) half.fail(i);
    assert.equal(half.live().length, 5);
    const small = setup({ consecutiveFailures: 1, maxEjectionPercent: 0 }, 3);
    small.fail(0);
    assert.equal(small.live().length, 2, 'one at least, as Envoy');
    const all = setup({ consecutiveFailures: 1, maxEjectionPercent: 100 }, 2);
    all.fail(0);
    all.fail(1);
    assert.equal(all.live().length, 1, 'never the last one');
    const one = setup({ consecutiveFailures: 1, maxEjectionPercent: 100 }, 1);
    one.fail(0, 10);
    assert.equal(one.live().length, 1);
  });

  it('returns the same list while nothing changes, so round robin keeps its turn', () => {
    const { detector, instances, fail } = setup({ consecutiveFailures: 1 });
    assert.equal(detector.filter('app', instances), instances);
    fail(2);
    const first = detector.filter('app', instances);
    assert.equal(detector.filter('app', instances), first);
    assert.equal(first.length, 2);
  });
});
