import { EventEmitter } from 'node:events';
import type { OpenSergoError } from './errors.js';
import type { PendingRule } from './rules/pending.js';

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
  /** A shared store stopped or resumed answering; enforcement fell back to local or resumed. */
  'store:state': [{ readonly store: string; readonly available: boolean; readonly reason?: string }];
}

/** The engine's typed event emitter. */
export class EngineEvents extends EventEmitter<EngineEventMap> {}
