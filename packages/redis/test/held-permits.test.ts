// Global concurrency above EXACT_PERMITS_MAX: each instance holds a block of permits in
// Redis and hands them out locally. Against a real Redis (see support/redis-server.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type Decision, type Engine } from '@opensergo/core';
import type { RedisStore } from '@opensergo/redis';
import { EXACT_PERMITS_MAX } from '../src/hold-script.js';
import { counted, enter, fixture } from './support/fixture.js';
import { sharedRedisUrl, uniquePrefix } from './support/redis-server.js';
import { concurrencyLimit, rule, rules, sleep } from './support/processes.js';

const url = await sharedRedisUrl();
const prefix = uniquePrefix('held');
const f = fixture(url, prefix);
let redis: Redis;
const MAX = EXACT_PERMITS_MAX + 50;
const store = f.store;

function engine(withStore: RedisStore, path: string, max = MAX): Engine {
  const name = path.slice(1);
  return f.engine(rules(concurrencyLimit(`c${name}`, 'Global', max), rule(`r${name}`, path, [`c${name}`])), withStore, 'held-test');
}

const finish = (d: Decision): void => {
  if (d.type === 'pass') d.entry!.exit({ type: 'finished', statusCode: 200 });
};

describe('Global concurrency held in blocks', { skip: url === undefined }, () => {
  before(() => {
    f.open();
    redis = f.redis;
  });
  after(() => f.close());

  it('never has more than max requests running across instances, however they come and go', async () => {
    const three = [store(), store(), store()];
    await Promise.all(three.map((s) => s.ready()));
    await sleep(50);
    const es = three.map((s) => engine(s, '/never'));
    let running = 0;
    let most = 0;
    let admitted = 0;
    const drive = async (e: Engine, seed: number): Promise<void> => {
      for (let round = 0; round < 30; round++) {
        const decisions = await Promise.all(Array.from({ length: 20 + ((seed * 7 + round * 13) % 60) }, () => enter(e, '/never')));
        for (const d of decisions) {
          if (d.type !== 'pass') continue;
          admitted += 1;
          running += 1;
          most = Math.max(most, running);
          // Each request ends after 0-3 event-loop turns.
          const turns = (seed + admitted) % 4;
          const end = (left: number): void => {
            if (left > 0) return void setImmediate(() => end(left - 1));
            running -= 1;
            finish(d);
          };
          end(turns);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(es.map((e, i) => drive(e, i + 1)));
    assert.ok(most <= MAX, `${most} running at once against ${MAX}`);
    assert.ok(admitted > 3 * MAX, `admitted ${admitted}: permits came back and were handed out again`);
  });

  it('admits a busy instance from its block without a Redis call per request, and shrinks the block when demand falls', async () => {
    const client = f.client();
    const calls = counted(client, '/busy}:');
    const s = store({}, client);
    await s.ready();
    const e = engine(s, '/busy', 1000);
    let onTheSpot = 0;
    for (let i = 0; i < 300; i++) {
      const running = Array.from({ length: 20 }, () => enter(e, '/busy'));
      for (const d of running) if (!(d instanceof Promise)) onTheSpot += 1;
      for (const d of await Promise.all(running)) {
        assert.equal(d.type, 'pass');
        finish(d);
      }
    }
    assert.ok(calls.calls < 30, `${calls.calls} Redis calls for 6000 requests`);
    assert.ok(onTheSpot > 5000, `${onTheSpot} of 6000 decided on the spot`);
    const [held] = await redis.keys(`${prefix}*/busy}:held`);
    await sleep(50);
    // Nothing runs now: the block is down to the spare (1000 / 8 for one instance) or less.
    assert.ok(Number(await redis.hget(held!, 't')) <= 125, `held ${await redis.hget(held!, 't')} with nothing running`);
    await s.close();
    assert.equal(await redis.hget(held!, 't'), '0', 'close gives the block back');
    client.disconnect();
  });

  it("frees a dead instance's block within the lease", async () => {
    const doomedClient = f.client();
    const doomed = store({ leaseMs: 400 }, doomedClient);
    const other = store({ leaseMs: 400 });
    await Promise.all([doomed.ready(), other.ready()]);
    const [ed, eo] = [engine(doomed, '/dead'), engine(other, '/dead')];
    const hogs = await Promise.all(Array.from({ length: MAX }, () => enter(ed, '/dead')));
    assert.equal(hogs.filter((d) => d.type === 'pass').length, MAX);
    assert.equal((await enter(eo, '/dead')).type, 'block', 'every permit is held');
    doomedClient.disconnect(); // the process is gone: nothing renews its hold any more
    await sleep(700);
    const after = await Promise.all(Array.from({ length: 10 }, () => enter(eo, '/dead')));
    assert.equal(after.filter((d) => d.type === 'pass').length, 10);
  });
});
