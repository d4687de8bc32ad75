// Real Redis topologies for the tests, started on free ports and stopped afterwards: a Cluster
// of three masters, and a Sentinel watching a master with one replica.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { answers, freePort, startRedisServer, type RedisServer } from './redis-server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function hasRedisCli(): boolean {
  return spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface TestCluster {
  readonly masters: readonly RedisServer[];
  /** `127.0.0.1:port` of each master. */
  readonly addresses: readonly string[];
  /** The master serving `key` now. */
  masterOf(key: string): Promise<RedisServer>;
  stop(): Promise<void>;
}

/**
 * Three masters, no replicas, `cluster-require-full-coverage no`: with one master down the
 * others keep serving their slots (the case where one sick shard must not cost the rest).
 */
export async function startCluster(): Promise<TestCluster> {
  const masters: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      masters.push(
        await startRedisServer([
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', '1000',
          '--cluster-require-full-coverage', 'no',
        ]),
      );
    }
    const addresses = masters.map((m) => `127.0.0.1:${m.port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const master of masters) {
      const client = new Redis(master.url);
      try {
        for (let i = 0; ; i++) {
          if (String(await client.cluster('INFO')).includes('cluster_state:ok')) break;
          if (i > 100) throw new Error('cluster did not become ok');
          await sleep(100);
        }
      } finally {
        client.disconnect();
      }
    }
    const masterOf = async (key: string): Promise<RedisServer> => {
      const client = new Redis(masters[0]!.url);
      try {
        const slot = Number(await client.cluster('KEYSLOT', key));
        const ranges = (await client.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to)!;
        return masters.find((m) => m.port === owner[2][1])!;
      } finally {
        client.disconnect();
      }
    };
    return { masters, addresses, masterOf, stop: async () => void (await Promise.all(masters.map((m) => m.stop()))) };
  } catch (error) {
    await Promise.all(masters.map((m) => m.stop()));
    throw error;
  }
}

export interface TestSentinel {
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly port: number;
  /** `redis+sentinel://127.0.0.1:port/mymaster` */
  readonly url: string;
  /** The master's `host:port` as the Sentinel names it now. */
  currentMaster(): Promise<string>;
  stop(): Promise<void>;
}

/** A master, a replica of it, and one Sentinel (quorum 1) watching them as `mymaster`. */
export async function startSentinel(): Promise<TestSentinel> {
  const master = await startRedisServer();
  const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'opensergo-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 5000',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([master.stop(), replica.stop()]);
  };
  process.once('exit', () => child.kill('SIGKILL'));
  const sentinel = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
  const currentMaster = async (): Promise<string> => {
    if (sentinel.status !== 'ready') await sentinel.connect();
    const [host, masterPort] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as [string, string];
    return `${host}:${masterPort}`;
  };
  for (let i = 0; ; i++) {
    if (await answers(`redis://127.0.0.1:${port}`, 200)) break;
    if (i > 100) {
      await stop();
      throw new Error('redis-server --sentinel did not start');
    }
    await sleep(50);
  }
  return {
    master,
    replica,
    port,
    url: `redis+sentinel://127.0.0.1:${port}/mymaster`,
    currentMaster,
    stop: async () => {
      sentinel.disconnect();
      await stop();
    },
  };
}
