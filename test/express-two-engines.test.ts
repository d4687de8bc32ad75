// Express only: two different governance middlewares on one request (an app-wide one and
// another after it) each keep their own decision in `res.locals`, and each one's `errors`
// companion reports a handler's error to its own engine's entry, whichever decided last.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express5 from 'express5';
import { opensergo } from '@opensergo/express';
import { send, serve } from './harness.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';
const rules = (name: string): string => `apiVersion: ${FT}
kind: CircuitBreakerStrategy
metadata: { name: ${name}-breaker }
spec: { strategy: ErrorRequestRatio, triggerRatio: 50%, statDuration: 1m, recoveryTimeout: 1m, minRequestAmount: 1000 }
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: ${name} }
spec: { targets: [{ targetResourceName: '/api/items' }], strategies: [{ name: ${name}-breaker }] }`;

const failedOf = (governance: ReturnType<typeof opensergo>): number =>
  governance.engine.metrics().resources.reduce((sum, r) => sum + r.failed, 0);

describe('two engines on one Express request', () => {
  it("governance.errors reports to its own engine's entry, not to the engine that decided last", async () => {
    const first = opensergo({ rules: rules('first'), logger: false });
    const second = opensergo({ rules: rules('second'), logger: false });
    const app = express5();
    app.set('env', 'test');
    app.use(first);
    app.use(second);
    app.get('/api/items', () => {
      throw new Error('boom');
    });
    app.use(first.errors); // only the first engine hears of handler errors
    app.use((_error: unknown, _req: unknown, res: { status(code: number): { send(body: string): void } }, _next: unknown) => res.status(200).send('handled'));
    try {
      await serve(app, async (port) => {
        assert.equal((await send(port, '/api/items')).status, 200);
      });
      assert.equal(failedOf(first), 1, 'the first engine counts the failure');
      assert.equal(failedOf(second), 0, 'the second saw a 200');
    } finally {
      await Promise.all([first.engine.close(), second.engine.close()]);
    }
  });
});
