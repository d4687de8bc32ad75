import { EventEmitter } from 'node:events';
import type { OpenSergoError } from './errors.js';
import type { PendingRule } from './rules/pending.js';
import type { StrategyKind } from './rules/types.js';

/** A request refused (`request:blocked`), or one a dry-run rule would have refused (`request:would-block`). */
export interface BlockEvent {
  /** The request's resource (the most specific matching target, as in `req.opensergo.resource`). */
  readonly resource: string;
  /** The target of the rule that refused, as written. */
  readonly target: string;
  /** The FaultToleranceRule's name. */
  readonly rule: string;
  /** The refusing strategy's name and kind. */
  readonly strategy: string;
  readonly kind: StrategyKind;
  readonly trafficLabels: readonly string[];
  /** The value a per-client limit (`limitBy`) counted the request under, if the strategy has one. */
  readonly clientKey: string | undefined;
  /** When a retry could pass (ms), as in `Retry-After`. */
  readonly retryAfterMs: number;
}

/** Every event the engine emits, with its payload. */
export interface EngineEventMap {
  /** A rule set was compiled and swapped in. */
  'rules:loaded': [{ readonly source: string; readonly version: string | undefined; readonly rules: number }];
  /** A source delivered documents that failed validation; the last good rules stay. */
  'rules:rejected': [{ readonly source: string; readonly error: OpenSergoError }];
  /**
   * The rules held back because they name something no source defines yet changed (one started
   * waiting, or came into force): the whole list, as in `engine.status().rules.pending`.
   */
  'rules:pending': [{ readonly source: string; readonly pending: readonly PendingRule[] }];
  'source:connected': [{ readonly source: string; readonly detail: string | undefined }];
  'source:disconnected': [{ readonly source: string; readonly reason: string }];
  'source:error': [{ readonly source: string; readonly error: Error }];
  /**
   * A circuit breaker changed state: `open` (tripped, or a probe failed), `half-open` (the first
   * request after `recoveryTimeout` is the probe), `closed` (the probe succeeded).
   */
  'breaker:state': [{ readonly target: string; readonly strategy: string; readonly state: 'open' | 'half-open' | 'closed' }];
  /**
   * Adaptive overload protection started or stopped shedding on a target: the sampled metric
   * crossed `threshold` (with BBR, only requests beyond the BBR estimate are shed meanwhile).
   */
  'overload:state': [
    {
      readonly target: string;
      readonly strategy: string;
      readonly metric: 'CpuPercentage' | 'SystemLoad' | 'EventLoopDelay';
      readonly shedding: boolean;
      readonly value: number;
      readonly threshold: number;
    },
  ];
  /**
   * A request was refused. Emitted only while someone listens: the event object is not even
   * built otherwise. Synchronous, on the request path: keep listeners quick.
   */
  'request:blocked': [BlockEvent];
  /** A rule in dry run would have refused a request, and admitted it instead; see docs/observability.md. */
  'request:would-block': [BlockEvent];
  /**
   * A shared store stopped or resumed answering; enforcement fell back to local or resumed.
   * `shard` names the part of the store that changed (a Redis Cluster master) when the store
   * has several: only the keys it holds changed mode.
   */
  'store:state': [{ readonly store: string; readonly available: boolean; readonly reason?: string; readonly shard?: string }];
  /**
   * A shared store's reply came too late (after its timeout), so `requests` decisions of one
   * batch on `key` were taken without it: admitted within this instance's local share
   * (`local`), or refused (`refused`, where admitting locally could exceed the limit).
   */
  'store:late': [{ readonly store: string; readonly key: string; readonly requests: number; readonly decided: 'local' | 'refused' }];
}

/**
 * The engine's typed event emitter. The request path asks it whether anyone listens to the
 * per-request events before building one, so that they cost nothing otherwise.
 *
 * A listener that throws does not reach the emitter: many events fire on the request path or
 * halfway through a state change (a breaker opening), where the throw would turn a 429 or a
 * dry-run admission into a 500, or leave the state half changed. The engine's emitter hands
 * the error to `listenerFailed` (it logs it, at most once a minute per event), and the other
 * listeners still hear the event.
 */
export class EngineEvents extends EventEmitter<EngineEventMap> {
  /** `listenerFailed`: told of each listener that threw. Without it, the throw propagates (as with any EventEmitter). */
  constructor(
    private readonly listenerFailed: (event: string, error: unknown) => void = (_event, error) => {
      throw error;
    },
  ) {
    super();
  }

  override emit<K extends keyof EngineEventMap>(event: K, ...args: EngineEventMap[K]): boolean {
    const listeners = this.rawListeners(event) as ((...a: EngineEventMap[K]) => void)[];
    if (listeners.length === 0) return false;
    for (let i = 0; i < listeners.length; i++) {
      try {
        Reflect.apply(listeners[i]!, this, args);
      } catch (error) {
        this.listenerFailed(event, error);
      }
    }
    return true;
  }

  /** @internal Someone listens to `request:blocked`. */
  get hearsBlocked(): boolean {
    return this.listenerCount('request:blocked') > 0;
  }

  /** @internal Someone listens to `request:would-block`. */
  get hearsWouldBlock(): boolean {
    return this.listenerCount('request:would-block') > 0;
  }
}
