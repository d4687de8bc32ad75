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

it('carries no OpenSergo-Label an outside client put in its baggage when the request has no labels: at the edge, or when the label was dropped', async () => {
  // What OpenTelemetry's http instrumentation does: the request's own baggage header, extracted
  // into the context the handler runs in, injected again into every instrumented outgoing call.
  const extract = (req: { headers: Record<string, unknown> }, _res: unknown, next: () => void): void =>
    void context.with(propagation.extract(context.active(), req.headers), next);
  const carried = async (options: Parameters<typeof opensergo>[0], baggage: string): Promise<string | undefined> => {
    const governance = opensergo({ ...options, logger: false });
    const app = express();
    app.use(extract);
    app.use(governance);
    app.get('/', (_req, res) => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      res.json(carrier);
    });
    try {
      let out: string | undefined;
      await serve(app, async (port) => void (out = (JSON.parse((await send(port, '/', { headers: { baggage } })).body) as Record<string, string>)['baggage']));
      return out;
    } finally {
      await governance.engine.close();
    }
  };
  assert.equal(await carried({ trustIncomingLabels: false }, 'userId=7,OpenSergo-Label=gray'), 'userId=7', 'at the edge the client does not choose the next hop’s lane');
  assert.equal(await carried({ trustIncomingLabels: false }, 'OpenSergo-Label=gray'), undefined);
  assert.equal(await carried({}, 'userId=7,OpenSergo-Label=canary%0D%0AX-Evil%3A%201'), 'userId=7', 'a label that is no token is dropped for outgoing calls too');
  assert.equal(await carried({ rules: RULE, trustIncomingLabels: false }, 'OpenSergo-Label=gray'), undefined, 'no rule labelled it');
  assert.equal(await carried({}, 'userId=7,OpenSergo-Label=gray'), 'userId=7,OpenSergo-Label=gray', 'an upstream’s label is trusted by default');
});
