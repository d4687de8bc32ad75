// The dashboard in a real browser (Debian's chromium, driven by playwright-core): the page
// loads, its chart moves under traffic, and a breaker opening shows (issue 18).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { opensergo } from '@opensergo/express';
import { dashboard, type DashboardHandler } from '@opensergo/dashboard';

/** The page's DOM, as far as the functions run in it read it (the tests compile without the DOM library). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
/** The page's chart data: per resource, its points in time order. */
declare const series: Map<string, { at: number }[]>;

const FT = 'fault-tolerance.opensergo.io/v1alpha1';
const RULES = `
apiVersion: ${FT}
kind: RateLimitStrategy
metadata: { name: rate-limit-foo }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 10, statDuration: 1s }
---
apiVersion: ${FT}
kind: CircuitBreakerStrategy
metadata: { name: breaker }
spec: { strategy: ErrorRequestRatio, triggerRatio: 50%, statDuration: 30s, recoveryTimeout: 60s, minRequestAmount: 2 }
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: my-rule }
spec:
  targets: [{ targetResourceName: /foo }]
  strategies: [{ name: rate-limit-foo }]
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: fragile-rule }
spec:
  targets: [{ targetResourceName: /fragile }]
  strategies: [{ name: breaker }]
`;

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('dashboard in Chromium', () => {
  let server: Server;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let handler: DashboardHandler;
  const governance = opensergo({ rules: RULES, logger: false });

  before(async () => {
    const app = express();
    handler = dashboard(governance.engine, { path: '/ops/governance', intervalMs: 500 });
    app.use('/ops/governance', handler);
    app.use(governance);
    app.get('/foo', (_req, res) => res.send('foo'));
    app.get('/fragile', (_req, res) => res.status(500).send('broken'));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'opensergo-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    page = await context.newPage();
  });

  after(async () => {
    await context?.close();
    handler.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await governance.engine.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('loads, self-contained, with the rules in force and their sources', async () => {
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) external.push(r.url());
    });
    const response = await page.goto(`${base}/ops/governance`);
    assert.equal(response?.status(), 200);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    assert.match(await page.textContent('#rules') ?? '', /^2 fault-tolerance, 0 label rules from inline/);
    assert.equal(await page.textContent('#store'), 'memory: available');
    assert.equal(await page.locator('#sources tr').count(), 1);
    assert.equal(await page.locator('tr[data-resource="/foo"][data-kind="RateLimitStrategy"]').count(), 1);
    assert.deepEqual(external, [], 'no request leaves the instance');
  });

  it('shows /foo passing and blocking while a load runs, and its chart moves', async () => {
    const chart = "document.getElementById('chart').toDataURL()";
    const before = await page.evaluate(chart);
    // About 20 requests a second for 4 seconds, against a limit of 10 a second.
    const load = (async () => {
      for (let i = 0; i < 80; i++) {
        await fetch(`${base}/foo`).then((r) => r.arrayBuffer());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // Functions, not strings: the page's Content-Security-Policy forbids evaluating strings.
    await page.waitForFunction(
      () => ['pass-rate', 'block-rate'].every((cls) => Number(document.querySelector(`tr[data-resource="/foo"] .${cls}`)?.textContent) > 0),
      undefined,
      { timeout: 15_000 },
    );
    const moved = await page.evaluate(chart);
    assert.notEqual(moved, before, 'the chart has drawn the rates');
    await load;
    const row = governance.engine.metrics().resources.find((r) => r.resource === '/foo')!;
    // Both counts at once: the last requests may all be blocked, so a page still showing an
    // earlier moment can already show the final passed count. The timeout is a bound on a hang.
    const shows = async (): Promise<string[]> => [String(await page.textContent('tr[data-resource="/foo"] .passed')), String(await page.textContent('tr[data-resource="/foo"] .blocked'))];
    await page.waitForFunction(
      ([passed, blocked]) =>
        document.querySelector('tr[data-resource="/foo"] .passed')?.textContent === String(passed) &&
        document.querySelector('tr[data-resource="/foo"] .blocked')?.textContent === String(blocked),
      [row.passed, row.blocked] as const,
      { timeout: 30_000 },
    );
    assert.deepEqual(await shows(), [String(row.passed), String(row.blocked)]);
    assert.ok(row.blocked > 0 && row.passed > 0, 'row.blocked > 0 && row.passed > 0');
  });

  it('shows a breaker turning open', async () => {
    assert.equal(await page.getAttribute('tr[data-resource="/fragile"] .state', 'data-breaker'), 'closed');
    for (let i = 0; i < 2; i++) await fetch(`${base}/fragile`).then((r) => r.arrayBuffer());
    assert.equal(governance.engine.metrics().resources.find((r) => r.resource === '/fragile')?.breaker, 'open');
    await page.waitForSelector('tr[data-resource="/fragile"] .state[data-breaker="open"]', { timeout: 5_000 });
    assert.equal(await page.textContent('tr[data-resource="/fragile"] .state'), 'breaker open');
  });

  it('after its stream drops, reconnects and does not draw again the minutes it already has', async () => {
    const points = (): Promise<number[][]> => page.evaluate(() => [...series.values()].map((p) => p.map((x) => x.at)));
    await page.waitForFunction(() => [...series.values()].some((p) => p.length >= 2), undefined, { timeout: 10_000 });
    handler.close(); // ends the page's stream, as a proxy timing out would; the page reconnects
    await page.waitForSelector('#status[data-state="lost"]', { timeout: 10_000 });
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    const at = await points();
    for (const line of at) assert.deepEqual(line, [...line].sort((a, b) => a - b), 'each line runs forward in time');
    for (const line of at) assert.equal(new Set(line).size, line.length, 'no moment drawn twice');
  });

  it('works behind a proxy that serves it under a prefix of its own', async () => {
    // What an ingress routing /admin/* to the app with the prefix stripped does.
    const proxy = createServer((req, res) => {
      if (!String(req.url).startsWith('/admin/')) {
        res.writeHead(404).end();
        return;
      }
      const forward = request(`${base}${String(req.url).replace(/^\/admin/, '')}`, { method: req.method, headers: req.headers }, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = await context.newPage();
    try {
      const response = await proxied.goto(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/admin/ops/governance`);
      assert.equal(response?.status(), 200);
      await proxied.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
      assert.equal(await proxied.locator('tr[data-resource="/foo"]').count(), 1);
    } finally {
      await proxied.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('passes every other request on, and answers nothing but GET on its paths', async () => {
    assert.equal((await fetch(`${base}/foo`)).status === 200 || (await fetch(`${base}/foo`)).status === 429, true);
    assert.equal((await fetch(`${base}/ops/governance/`, { method: 'POST' })).status, 404);
  });
});
