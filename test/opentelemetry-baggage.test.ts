// With @opentelemetry/api installed and a context manager registered, a labelled request's
// labels are in OpenTelemetry baggage below the handler, so an OpenTelemetry-instrumented client
// (which injects baggage through the registered propagator) carries them too (SPEC §7).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import express from 'express5';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { opensergo } from '@opensergo/express';
import { send, serve } from './harness.js';

const RULE = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficLabelRule
metadata: { name: gray }
spec:
  trafficLabel: gray
  match: [{ type: header, key: x-user-id, condition: "==", value: 12345 }]
`;

const manager = new AsyncLocalStorageContextManager();
before(() => {
  context.setGlobalContextManager(manager.enable());
  propagation.setGlobalPropagator(new W3CBaggagePropagator());
});
after(() => {
  context.disable();
  propagation.disable();
});

it('puts the labels into OpenTelemetry baggage, beside baggage already there', async () => {
  const governance = opensergo({ rules: RULE, logger: false });
  const app = express();
  // What OpenTelemetry's http instrumentation does: baggage from the request, in the context.
  app.use((req, _res, next) => {
    if (req.headers['x-baggage-user'] === undefined) return next();
    const baggage = propagation.createBaggage({ userId: { value: String(req.headers['x-baggage-user']) } });
    context.with(propagation.setBaggage(context.active(), baggage), next);
  });
  app.use(governance);
  app.get('/', async (_req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier); // what an instrumented client does
    res.json(carrier);
  });
  try {
    await serve(app, async (port) => {
      const gray = JSON.parse((await send(port, '/', { headers: { 'x-user-id': '12345' } })).body) as Record<string, string>;
      assert.equal(gray['baggage'], 'OpenSergo-Label=gray');
      const plain = JSON.parse((await send(port, '/')).body) as Record<string, string>;
      assert.equal(plain['baggage'], undefined);
      const both = JSON.parse((await send(port, '/', { headers: { 'x-user-id': '12345', 'x-baggage-user': '7' } })).body) as Record<string, string>;
      assert.deepEqual(both['baggage']?.split(',').sort(), ['OpenSergo-Label=gray', 'userId=7']);
    });
  } finally {
    await governance.engine.close();
  }
});
