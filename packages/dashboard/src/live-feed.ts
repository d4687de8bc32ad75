import type { ServerResponse } from 'node:http';
import type { Engine, MetricsSnapshot } from '@opensergo/core';

/** What the page needs of a snapshot, smaller than `engine.metrics()` (no histograms). */
function slim(snapshot: MetricsSnapshot): unknown {
  return {
    at: snapshot.at,
    rules: snapshot.rules,
    sources: snapshot.sources,
    store: snapshot.store,
    resources: snapshot.resources.map(({ duration: _duration, ...row }) => row),
  };
}

/** Totals only, for the chart's history. */
function totals(snapshot: MetricsSnapshot): { at: number; resources: { resource: string; passed: number; blocked: number }[] } {
  return { at: snapshot.at, resources: snapshot.resources.map(({ resource, passed, blocked }) => ({ resource, passed, blocked })) };
}

export interface FeedOptions {
  /** How often a snapshot is pushed (ms). */
  readonly intervalMs: number;
  /** How much history a newly opened page gets (ms). */
  readonly historyMs: number;
}

/**
 * The server-sent-event stream behind the page. Nothing runs until a page first connects: then
 * it samples every `intervalMs` (on an unref'd timer, so it never keeps the process alive),
 * keeping totals for the chart's history, and pushes a snapshot to every open page; a breaker
 * changing state, new rules or the store's state are pushed at once.
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly history: ReturnType<typeof totals>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pushSoon: NodeJS.Immediate | undefined;
  private readonly onChange = (): void => {
    this.pushSoon ??= setImmediate(() => {
      this.pushSoon = undefined;
      if (this.clients.size > 0) this.broadcast(this.engine.metrics());
    });
  };

  constructor(
    private readonly engine: Engine,
    private readonly options: FeedOptions,
  ) {}

  /** Serves one page's event stream until it goes away. */
  open(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\nevent: history\ndata: ${JSON.stringify(this.history)}\n\n`);
    this.clients.add(res);
    if (this.clients.size === 1) this.listen(true);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.listen(false);
    });
    this.start();
    this.send(res, this.engine.metrics());
  }

  /** Ends every stream and stops sampling. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.listen(false);
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    const snapshot = this.engine.metrics();
    this.history.push(totals(snapshot));
    while (this.history.length > 0 && this.history[0]!.at < snapshot.at - this.options.historyMs) this.history.shift();
    if (this.clients.size > 0) this.broadcast(snapshot);
  }

  private broadcast(snapshot: MetricsSnapshot): void {
    const frame = `event: snapshot\ndata: ${JSON.stringify(slim(snapshot))}\n\n`;
    for (const res of this.clients) res.write(frame);
  }

  private send(res: ServerResponse, snapshot: MetricsSnapshot): void {
    res.write(`event: snapshot\ndata: ${JSON.stringify(slim(snapshot))}\n\n`);
  }

  private listen(on: boolean): void {
    const events = this.engine.events;
    for (const name of ['breaker:state', 'overload:state', 'rules:loaded', 'store:state', 'source:connected', 'source:disconnected'] as const) {
      if (on) events.on(name, this.onChange);
      else events.off(name, this.onChange);
    }
  }
}
