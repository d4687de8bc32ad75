// The connection forms createRedisStore accepts, parsed without connecting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOpenSergoError } from '@opensergo/core';
import { createRedisStore } from '@opensergo/redis';
import { describeParsed, parseCluster, parseUrl } from '../src/connect.js';

describe('connection forms', () => {
  it('reads redis+cluster:// and redis+sentinel:// URLs, with credentials, TLS, master name and db', () => {
    assert.deepEqual(parseUrl('redis+cluster://10.0.0.1:7000,10.0.0.2'), {
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
      ],
      auth: {},
      tls: false,
    });
    assert.deepEqual(parseUrl('redis+sentinels://app:p%40ss@s1:26380,[::1]/orders/2'), {
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: '::1', port: 26379 },
      ],
      name: 'orders',
      auth: { username: 'app', password: 'p@ss' },
      db: 2,
      tls: true,
    });
    assert.deepEqual(parseUrl('redis://127.0.0.1:6379/1'), { kind: 'single', url: 'redis://127.0.0.1:6379/1' });
  });

  it('reads { cluster: [nodes] } in every node form, taking credentials from a URL', () => {
    const parsed = parseCluster(['10.0.0.1:7000', 'redis://:secret@10.0.0.2:7001', { host: '10.0.0.3', port: 7002 }]);
    assert.deepEqual(parsed, {
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '10.0.0.3', port: 7002 },
      ],
      auth: { password: 'secret' },
      tls: false,
    });
    assert.equal(describeParsed(parsed as Exclude<typeof parsed, string>), 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002');
  });

  it('names what is wrong with a malformed form, at creation', () => {
    for (const [connection, problem] of [
      [{ url: 'redis+sentinel://s1:26379' }, /must name the master the Sentinels watch/],
      [{ url: 'redis+cluster://a:1/0' }, /a Redis Cluster has no database/],
      [{ url: 'redis+cluster://a:b:c' }, /malformed host list/],
      [{ url: 'http://x' }, /url must start with redis:\/\/, rediss:\/\/, redis\+cluster:\/\/ or redis\+sentinel:\/\//],
      [{ cluster: [] }, /cluster must be a non-empty array/],
      [{ cluster: [42] }, /cluster node 42 is not/],
    ] as const) {
      assert.throws(
        () => createRedisStore(connection as never),
        (error: unknown) => isOpenSergoError(error, 'ERR_OPENSERGO_OPTIONS_INVALID') && problem.test(error.message),
        JSON.stringify(connection),
      );
    }
  });
});
