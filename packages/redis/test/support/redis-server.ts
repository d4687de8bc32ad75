// Which Redis the tests talk to, and private redis-server processes for the failure tests.
//
// Shared Redis: REDIS_URL when set; else 127.0.0.1:6379 when it answers; else a private
// redis-server on a free port when the binary exists. Only when none of these is possible
// are the tests skipped, loudly, and never under CI=true (they fail instead).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const IN_CI = process.env.CI === 'true';

/** Whether a Redis at `url` answers PING within `ms`. */
export function answers(url: string, ms = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 6379), hostname || '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(String(data).startsWith('+PONG')));
  });
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server this test process started and owns. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Graceful shutdown. Idempotent. */
  stop(): Promise<void>;
  /** Start again on the same port (after kill/stop). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that is there but never answers. */
  pause(): void;
  resume(): void;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a private redis-server (no persistence) on a free port, with extra config lines
 * such as `['--rename-command', 'EVAL', '']`, on `fixedPort` when given.
 */
export async function startRedisServer(extra: readonly string[] = [], fixedPort?: number): Promise<RedisServer> {
  const port = fixedPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'opensergo-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
    child = spawn('redis-server', args, { stdio: 'ignore' });
    running.add(child);
    const started = child;
    child.on('exit', () => running.delete(started));
    for (let i = 0; i < 100; i++) {
      if (await answers(url, 200)) return;
      if (started.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server ${args.join(' ')} did not start`);
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((r) => current.once('exit', r));
    if (signal !== 'SIGKILL') current.kill('SIGCONT');
    current.kill(signal);
    await exited;
  };

  await start();
  return {
    port,
    url,
    kill: () => end('SIGKILL'),
    stop: async () => {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    restart: start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}

let shared: Promise<string | undefined> | undefined;

/**
 * The shared Redis URL, or undefined (after a loud warning) when no Redis can be had.
 * Throws under CI=true instead of skipping.
 */
export function sharedRedisUrl(): Promise<string | undefined> {
  shared ??= (async () => {
    const fromEnv = process.env.REDIS_URL;
    if (fromEnv) {
      if (!(await answers(fromEnv))) throw new Error(`REDIS_URL=${fromEnv} does not answer PING`);
      return fromEnv;
    }
    if (await answers('redis://127.0.0.1:6379')) return 'redis://127.0.0.1:6379';
    if (hasRedisServer()) return (await startRedisServer()).url;
    return noRedis('no REDIS_URL, nothing answers on 127.0.0.1:6379, and no redis-server binary');
  })();
  return shared;
}

/** The reason to skip the failure tests (no redis-server binary), or undefined to run them. */
export function privateServerSkip(): string | undefined {
  if (hasRedisServer()) return undefined;
  return noRedis('the failure tests start their own redis-server, and there is no redis-server binary') ?? 'no redis-server';
}

function noRedis(why: string): undefined {
  const message = `Redis tests cannot run: ${why}. Install redis-server (apt-get install redis-server) or set REDIS_URL.`;
  if (IN_CI) throw new Error(`${message} Under CI=true they must run.`);
  console.warn(`\n${'!'.repeat(80)}\n!!! SKIPPING REDIS TESTS: ${message}\n${'!'.repeat(80)}\n`);
  return undefined;
}

/** A key prefix unique to this test run, so runs never see each other's keys. */
export function uniquePrefix(label: string): string {
  return `opensergo-test:${label}:${process.pid}:${Date.now().toString(36)}:`;
}
