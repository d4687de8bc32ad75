// examples/observability: blocks logged with pino, scraped by a real Prometheus server whose
// PromQL answer agrees with the traffic sent (issue 18).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { send } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LogLine {
  msg: string;
  port?: number;
  block?: { resource: string; rule: string; kind: string; strategy: string };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns something, or fails after `ms`. */
async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('examples/observability', () => {
  let app: ChildProcess;
  let port: number;
  const lines: LogLine[] = [];

  before(async () => {
    app = spawn(process.execPath, ['--conditions=opensergo-source', '--import', 'tsx', 'examples/observability/server.js'], {
      cwd: root,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: app.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as LogLine));
    port = await eventually('the example to listen', 30_000, async () => lines.find((l) => l.port)?.port);
  });

  after(() => {
    app.kill('SIGTERM');
  });

  it('logs each of the 20 blocks of 30 quick GET /foo with pino, naming rule and kind', async () => {
    const replies = await Promise.all(Array.from({ length: 30 }, () => send(port, '/foo')));
    assert.equal(replies.filter((r) => r.status === 429).length, 20);
    const blocks = await eventually('20 log lines', 10_000, async () => {
      const found = lines.filter((l) => l.msg === 'request blocked');
      return found.length >= 20 ? found : undefined;
    });
    assert.equal(blocks.length, 20);
    assert.deepEqual(
      { ...blocks[0]!.block, trafficLabels: undefined, clientKey: undefined, retryAfterMs: undefined, target: undefined },
      { resource: '/foo', rule: 'my-rule', strategy: 'rate-limit-foo', kind: 'RateLimitStrategy', trafficLabels: undefined, clientKey: undefined, retryAfterMs: undefined, target: undefined },
    );
    assert.equal(replies.find((r) => r.status === 200)?.headers['ratelimit-policy'], '"rate-limit-foo";q=10;w=1');
  });

  describe('scraped by a real Prometheus', () => {
    let prometheus: ChildProcess;
    let dir: string;
    let api: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'opensergo-prometheus-'));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global: { scrape_interval: 500ms, scrape_timeout: 400ms }\nscrape_configs:\n  - job_name: example\n    static_configs: [{ targets: ['127.0.0.1:${port}'] }]\n`,
      );
      const promPort = await freePort();
      api = `http://127.0.0.1:${promPort}`;
      prometheus = spawn(
        process.env['PROMETHEUS_PATH'] ?? 'prometheus',
        [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
        { stdio: 'ignore' },
      );
      await eventually('Prometheus to be ready', 60_000, async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined));
    });

    after(() => {
      prometheus?.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });

    it('agrees: PromQL returns 10 passed and 20 blocked for /foo, my-rule, RateLimitStrategy', async () => {
      const query = async (promql: string): Promise<number | undefined> => {
        const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
        const value = body.data.result[0]?.value[1];
        return value === undefined ? undefined : Number(value);
      };
      const series = (result: string) =>
        `opensergo_requests_total{job="example",resource="/foo",rule="my-rule",kind="RateLimitStrategy",result="${result}"}`;
      const blocked = await eventually('a scrape after the traffic', 20_000, async () => ((await query(series('blocked'))) === 20 ? 20 : undefined));
      assert.equal(blocked, 20);
      assert.equal(await query(series('passed')), 10);
      assert.equal(await query('sum(opensergo_requests_total{resource="/foo"})'), 30);
    });
  });
});
