import { BlockedError, createEngine, keepRequestContext, type Engine, type Entry } from '@opensergo/core';
import { refusedFor, runSteps, type CallStep, type OutgoingCall } from './call.js';
import { governStep } from './govern.js';
import { endedWith } from './outcome.js';
import { resolveClientOptions, type ClientOptions } from './options.js';
import { propagate } from './propagate.js';
import { routeStep } from './route.js';
import { roundRobin, type InstanceFilter } from './routing/balancer.js';
import { OutlierDetector } from './routing/outlier.js';
import { Unreachable } from './unreachable.js';

/** Errors that mean the connection was never made, so the request was never sent. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * The path every outgoing call takes, whatever the client library: propagate (labels onto the
 * call) → govern (the FaultToleranceRules on outgoing targets: a refused call stops here) →
 * route (TrafficRouter or label routing over discovered instances, then balance) → the
 * transport sends. The transports (undici, node:http) only adapt their calls to it.
 */
export class CallPath {
  readonly engine: Engine;
  private readonly steps: readonly CallStep[];
  private readonly route: CallStep;
  private readonly unreachable: Unreachable;
  private readonly outliers: OutlierDetector | undefined;
  private readonly detach: () => void;
  /** A refused call is rejected with ERR_OPENSERGO_BLOCKED rather than answered with its fallback response. */
  readonly rejectBlocked: boolean;

  constructor(
    options: ClientOptions,
    private readonly ownsEngine = options.engine === undefined,
  ) {
    const resolved = resolveClientOptions(options);
    this.engine = createEngine(options);
    // The calls read the context of the request they are made in.
    keepRequestContext();
    this.unreachable = new Unreachable(this.engine.clock, resolved.unreachableMs);
    const filters: InstanceFilter[] = [this.unreachable.filter];
    if (resolved.outlierDetection !== false) {
      this.outliers = new OutlierDetector(this.engine.clock, this.engine.logger, resolved.outlierDetection);
      filters.push(this.outliers.filter);
    }
    this.route = routeStep({
      engine: this.engine,
      discovery: resolved.discovery,
      hosts: resolved.hosts,
      filters,
      balancer: roundRobin(),
    });
    this.steps = [propagate, governStep(this.engine), this.route];
    this.rejectBlocked = resolved.onBlock === 'reject';
    this.detach = this.engine.attachClient();
  }

  /**
   * Runs the steps for `call`; a promise only when one must wait. A call admitted by the rules
   * that a later step fails (no live instance) has ended, failed. A refused call with
   * `onBlock: 'reject'` fails here with ERR_OPENSERGO_BLOCKED.
   */
  run(call: OutgoingCall): void | Promise<void> {
    let pending: void | Promise<void>;
    try {
      pending = runSteps(this.steps, call, 0);
    } catch (error) {
      call.admission?.exit(endedWith(undefined, error));
      throw error;
    }
    if (pending !== undefined) {
      return pending.then(
        () => this.refuse(call),
        (error: unknown) => {
          call.admission?.exit(endedWith(undefined, error));
          throw error;
        },
      );
    }
    this.refuse(call);
    return undefined;
  }

  private refuse(call: OutgoingCall): void {
    if (call.blocked !== undefined && this.rejectBlocked) throw new BlockedError(call.blocked);
  }

  /**
   * What hears how one attempt of a routed call ended at its instance, for outlier detection
   * (5xx and errors count against it, the caller's abort does not): an `Entry`, so that the
   * transports tell it through the same wrappers that tell the call's admission. `undefined`
   * when nothing listens (no instance chosen, or detection off). An attempt that failed over
   * has been counted by {@link failover} already; the first outcome told is the one kept.
   * With `untilConnected` (node:http, which moves a call to another instance under the same
   * request while connecting), it counts for the instance the call is at when it ends.
   */
  attempt(call: OutgoingCall, untilConnected = false): Entry | undefined {
    const outliers = this.outliers;
    if (outliers === undefined || call.endpoint === undefined || call.callee === undefined) return undefined;
    const first = { endpoint: call.endpoint, callee: call.callee };
    let told = false;
    return {
      exit: (outcome) => {
        const { endpoint, callee } = untilConnected ? call : first;
        if (told || endpoint === undefined || callee === undefined || call.refused.includes(endpoint)) return;
        told = true;
        if (outcome.type === 'finished') outliers.report(callee, endpoint.instance, outcome.statusCode);
        else if (outcome.type === 'failed') outliers.report(callee, endpoint.instance, outcome.statusCode ?? asError(outcome.error));
      },
    };
  }

  /**
   * After `error` on a routed call that never reached its instance: leaves that instance out
   * for a while and routes the call again. Resolves `true` when there is another instance to try.
   */
  async failover(call: OutgoingCall, error: unknown): Promise<boolean> {
    const endpoint = call.endpoint;
    const code = (error as { code?: unknown } | null)?.code;
    if (endpoint === undefined || typeof code !== 'string' || !NOT_CONNECTED.has(code)) return false;
    this.unreachable.mark(endpoint.instance);
    if (call.callee !== undefined) this.outliers?.report(call.callee, endpoint.instance, asError(error));
    call.refused = [...call.refused, endpoint];
    try {
      await this.route(call);
    } catch {
      return false;
    }
    const next = call.endpoint;
    return next !== undefined && !refusedFor(call, next.instance);
  }

  async close(): Promise<void> {
    this.detach();
    if (this.ownsEngine) await this.engine.close();
  }
}
