// The Redis instance registry (issue 15, item 4): real instance processes register their URL
// and workload labels; a caller using the store as its discovery routes to them, and stops
// calling a SIGKILLed instance within a few seconds without failing a call.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fetch } from 'undici';
import { createEngine, runInContext, type RequestContext } from '@opensergo/core';
import { createDispatcher } from '@opensergo/client';
import { createRedisStore } from '../src/index.js';
import { startRegisteredApp, type AppProcess } from './support/processes.js';
import { sharedRedisUrl, uniquePrefix } from './support/redis-server.js';

const url = await sharedRedisUrl();
const gray: RequestContext = { resource: '/x', trafficLabel: 'gray', trafficLabels: ['gray'] };
const plain: RequestContext = { resource: '/x', trafficLabel: undefined, trafficLabels: [] };

describe('the Redis instance registry', { skip: url === undefined }, () => {
  const apps: AppProcess[] = [];
  after(async () => {
    for (const app of apps) await app.signal('SIGKILL');
  });

  it('routes to registered instances by their workload labels, drops a killed one within seconds without a failed call, and takes back its successor', async () => {
    const prefix = uniquePrefix('registry');
    const env = { REDIS_URL: url!, KEY_PREFIX: prefix, APP: 'service', HEARTBEAT_MS: '200', INSTANCE_TTL_MS: '600' };
    const [base, grayApp] = await Promise.all([
      startRegisteredApp({ ...env, NAME: 'base' }),
      startRegisteredApp({ ...env, NAME: 'gray', WORKLOAD_LABELS: 'gray' }),
    ]);
    apps.push(base, grayApp);

    const store = createRedisStore({ url: url! }, { keyPrefix: prefix, heartbeatMs: 200, instanceTtlMs: 600 });
    const engine = createEngine({ app: 'gateway', store, logger: false });
    const dispatcher = createDispatcher({ engine, discovery: store });
    const call = async (context: RequestContext): Promise<string> =>
      runInContext(context, async () => ((await (await fetch('http://service/x', { dispatcher })).json()) as { instance: string }).instance);
    try {
      assert.equal(await store.ready(5_000), true);
      // Both instances register within a heartbeat or two of starting.
      const deadline = Date.now() + 5_000;
      while ((await call(gray)) !== 'gray' && Date.now() < deadline);
      assert.equal(await call(gray), 'gray');
      for (let i = 0; i < 3; i++) assert.equal(await call(plain), 'base');
      const known = await store.instances('service');
      assert.deepEqual(
        (known ?? []).map((i) => i.labels.join()).sort(),
        ['', 'gray'],
        'each instance advertises its workload labels',
      );
      assert.equal(await store.instances('nobody-registered-this'), undefined, 'an app Redis never heard of is unknown');

      await grayApp.signal('SIGKILL');
      const killedAt = Date.now();
      const served: string[] = [];
      while (Date.now() - killedAt < 2_000) served.push(await call(gray)); // every call must succeed
      assert.ok(served.length > 0 && served.every((s) => s === 'base'), `after the kill: ${[...new Set(served)].join()}`);
      assert.deepEqual((store.instances('service') as readonly { labels: readonly string[] }[]).map((i) => i.labels.join()), [''], 'gone from discovery');

      const successor = await startRegisteredApp({ ...env, NAME: 'gray-again', WORKLOAD_LABELS: 'gray' });
      apps.push(successor);
      const back = Date.now() + 5_000;
      let now = '';
      while ((now = await call(gray)) !== 'gray-again' && Date.now() < back);
      assert.equal(now, 'gray-again');
    } finally {
      await dispatcher.close();
      await engine.close();
      await store.close();
    }
  });
});
