// Real service processes (test/fixtures/app.ts) and a load generator for them.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

const APP = fileURLToPath(new URL('../fixtures/app.ts', import.meta.url));
const REGISTERED_APP = fileURLToPath(new URL('../fixtures/registered-app.ts', import.meta.url));

export interface AppProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** JSON lines the app printed, in order. */
  readonly facts: Record<string, unknown>[];
  /** Resolves once a fact matching `test` has been printed (or rejects after `ms`). */
  waitFor(test: (fact: Record<string, unknown>) => boolean, ms: number): Promise<void>;
  signal(signal: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** An instance registering itself in the Redis instance registry (fixtures/registered-app.ts). */
export function startRegisteredApp(env: Record<string, string>): Promise<AppProcess> {
  return startApp(env, REGISTERED_APP);
}

export function startApp(env: Record<string, string>, file = APP): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--conditions=opensergo-source', '--import', 'tsx', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const facts: Record<string, unknown>[] = [];
  const watchers = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stderr!.on('data', (data: Buffer) => void (stderr += String(data)));
  child.stdout!.on('data', (data: Buffer) => {
    buffered += String(data);
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        facts.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        continue;
      }
      for (const watcher of watchers) watcher();
    }
  });
  const waitFor = (test: (fact: Record<string, unknown>) => boolean, ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!facts.some(test)) return;
        watchers.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`app did not print the expected line within ${ms} ms; stderr:\n${stderr}`));
      }, ms);
      watchers.add(check);
      check();
    });
  const signal = (name: NodeJS.Signals): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(name);
    });
  return waitFor((fact) => typeof fact.port === 'number', 60_000).then(() => ({
    port: facts.find((f) => typeof f.port === 'number')!.port as number,
    child,
    facts,
    waitFor,
    signal,
  }));
}

export interface Sample {
  readonly port: number;
  readonly status: number;
  /** When the response arrived (performance.now() of this process). */
  readonly at: number;
  readonly latencyMs: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => void (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends requests to every port with `concurrency` in flight per port until `stop()` says so.
 * Connection errors (a process that was killed) are recorded as status 0.
 */
export function hammer(ports: readonly number[], path: string, concurrency: number, stop: () => boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  const loop = async (port: number): Promise<void> => {
    while (!stop()) {
      const started = performance.now();
      let status = 0;
      try {
        status = (await get(port, path)).status;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
      const at = performance.now();
      samples.push({ port, status, at, latencyMs: at - started });
    }
  };
  return Promise.all(ports.flatMap((port) => Array.from({ length: concurrency }, () => loop(port)))).then(() => samples);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function rules(...docs: string[]): string {
  return docs.join('\n---\n');
}

export const rateLimit = (name: string, mode: string, threshold: number, window = '1s'): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: ${name} }
spec: { metricType: RequestAmount, limitMode: ${mode}, threshold: ${threshold}, statDuration: ${window} }`;

export const concurrencyLimit = (name: string, mode: string, max: number): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: ConcurrencyLimitStrategy
metadata: { name: ${name} }
spec: { maxConcurrency: ${max}, limitMode: ${mode} }`;

export const rule = (name: string, target: string, strategies: readonly string[]): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: ${name} }
spec:
  targets: [{ targetResourceName: '${target}' }]
  strategies: [${strategies.map((s) => `{ name: ${s} }`).join(', ')}]`;
