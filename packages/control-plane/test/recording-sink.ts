// A RuleSourceSink that records what a source told it and lets a test wait for it.
import { EventEmitter } from 'node:events';
import type { LocatedDocument, RuleSourceSink, UpdateResult } from '@opensergo/core';

type SinkEvent = 'update' | 'connected' | 'disconnected' | 'error';

export class RecordingSink implements RuleSourceSink {
  readonly updates: { values: unknown[]; version: string | undefined; result: UpdateResult }[] = [];
  readonly connects: string[] = [];
  readonly disconnects: string[] = [];
  readonly errors: Error[] = [];
  /** What `update` answers; a test swaps it to make the sink refuse. */
  respond: (values: unknown[]) => UpdateResult = () => ({ ok: true });
  /** The values of the last accepted update: the rules that would be in force. */
  accepted: unknown[] = [];
  // Event names carry a colon: an emitter treats a bare 'error' event specially.
  private readonly events = new EventEmitter();

  update(documents: readonly LocatedDocument[], info?: { readonly version?: string }): UpdateResult {
    const values = documents.map((d) => d.value);
    const result = this.respond(values);
    if (result.ok) this.accepted = values;
    this.updates.push({ values, version: info?.version, result });
    this.events.emit('update:');
    return result;
  }

  connected(detail?: string): void {
    this.connects.push(detail ?? '');
    this.events.emit('connected:');
  }

  disconnected(reason: string): void {
    this.disconnects.push(reason);
    this.events.emit('disconnected:');
  }

  error(error: Error): void {
    this.errors.push(error);
    this.events.emit('error:');
  }

  /** Resolves once `event` has happened `count` times in total. */
  waitFor(event: SinkEvent, count: number): Promise<void> {
    const seen = (): number =>
      ({ update: this.updates, connected: this.connects, disconnected: this.disconnects, error: this.errors })[event].length;
    return new Promise((resolve) => {
      const check = (): void => {
        if (seen() < count) return;
        this.events.off(`${event}:`, check);
        resolve();
      };
      this.events.on(`${event}:`, check);
      check();
    });
  }
}
