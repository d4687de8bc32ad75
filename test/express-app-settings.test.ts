// Express only: the middleware reads `req.app` once per request prototype (Express sets the
// prototype to the app's own `request` object), not once per request. One middleware serving
// two apps must still follow each app's own `trust proxy` setting, request by request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express4 from 'express4';
import express5 from 'express5';
import { FakeClock } from '@opensergo/core';
import { opensergo } from '@opensergo/express';
import { send, serve } from './harness.js';

const RULES = `apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: five-per-client }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 5, statDuration: 1m, limitBy: { type: clientIp } }
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: api }
spec: { targets: [{ targetResourceName: '/api/**' }], strategies: [{ name: five-per-client }] }`;

describe('one middleware in two Express apps', () => {
  for (const [name, express] of [
    ['express4', express4],
    ['express5', express5],
  ] as const) {
    it(`${name}: each request is read with its own app's trust proxy setting, alternating`, async () => {
      const governance = opensergo({ rules: RULES, clock: new FakeClock(), logger: false });
      const trusting = express();
      trusting.set('trust proxy', 1);
      const direct = express();
      for (const app of [trusting, direct]) {
        app.use(governance);
        app.get('/api/items', (_req, res) => void res.send('ok'));
      }
      await serve(trusting, (trustingPort) =>
        serve(direct, async (directPort) => {
          const statuses: number[][] = [[], []];
          // Every request from a new forwarded address: the trusting app counts six clients,
          // the direct one a single client (the loopback peer), refused at its sixth.
          for (let i = 0; i < 6; i++) {
            const headers = { 'x-forwarded-for': `203.0.113.${i + 1}` };
            statuses[0]!.push((await send(trustingPort, '/api/items', { headers })).status);
            statuses[1]!.push((await send(directPort, '/api/items', { headers })).status);
          }
          assert.deepEqual(statuses[0], [200, 200, 200, 200, 200, 200], 'trust proxy 1: six clients');
          assert.deepEqual(statuses[1], [200, 200, 200, 200, 200, 429], 'no trust proxy: one client');
        }),
      ).finally(() => governance.engine.close());
    });
  }
});
