// TrafficRouter (SPEC §4) on outgoing calls, from a rules file and from the control plane,
// through fetch and axios, against real instances: upstream's sample (header x-mse-tag exact
// v2 → subset v2, fallback v1), a 90/10 weighted split, and a v2 subset with no instance.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import axios from 'axios';
import { fetch } from 'undici';
import { createEngine, type Engine } from '@opensergo/core';
import { createControlPlaneSource, TRAFFIC_ROUTER_KIND } from '@opensergo/control-plane';
import { TestControlPlane } from '../../control-plane/test/control-plane-server.js';
import { routeConfigurationAny } from '../../control-plane/test/route-configuration.js';
import { createAgent, createDispatcher, type ClientOptions } from '../src/index.js';
import { instance, stopAll, type Instance, type Seen } from './support.js';

const UPSTREAM_SAMPLE = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficRouter
metadata:
  name: service-provider
  namespace: default
  labels:
    app: service-provider
spec:
  hosts:
    - service-provider
  http:
    - match:
        - headers:
            x-mse-tag:
              exact: v2
      route:
        - destination:
            host: service-provider
            subset: v2
            fallback:
              host: service-provider
              subset: v1
    - route:
        - destination:
            host: service-provider
            subset: v1
`;

const WEIGHTED = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficRouter
metadata: { name: split }
spec:
  hosts: [service-provider]
  http:
    - route:
        - { destination: { host: service-provider, subset: v1 }, weight: 90 }
        - { destination: { host: service-provider, subset: v2 }, weight: 10 }
`;

type Call = (headers?: Record<string, string>) => Promise<Seen>;

/** Calls http://service-provider/hello through fetch and through axios, with `options`. */
function clients(options: ClientOptions): { calls: [string, Call][]; close(): Promise<void> } {
  const dispatcher = createDispatcher(options);
  const httpAgent = createAgent(options);
  return {
    calls: [
      ['fetch', async (headers) => (await (await fetch('http://service-provider/hello', { dispatcher, headers: headers ?? {} })).json()) as Seen],
      ['axios', async (headers) => (await axios.get('http://service-provider/hello', { httpAgent, proxy: false, headers: headers ?? {} })).data as Seen],
    ],
    close: async () => {
      await dispatcher.close();
      await httpAgent.close();
    },
  };
}

describe('TrafficRouter on outgoing calls', () => {
  let v1: Instance;
  let v2: Instance;
  let instances: NonNullable<ClientOptions['instances']>;
  before(async () => {
    [v1, v2] = await Promise.all([instance('v1'), instance('v2')]);
    instances = { 'service-provider': [{ url: v1.url, attributes: { version: 'v1' } }, { url: v2.url, labels: ['v2'] }] };
  });
  after(() => stopAll([v1, v2]));

  /** Upstream's sample, checked through both clients of `engine`. */
  async function checkSample(engine: Engine): Promise<void> {
    const { calls, close } = clients({ engine, instances });
    try {
      for (const [name, call] of calls) {
        for (let i = 0; i < 3; i++) {
          assert.equal((await call({ 'x-mse-tag': 'v2' })).instance, 'v2', name);
          assert.equal((await call({ 'x-mse-tag': 'v1' })).instance, 'v1', name);
          assert.equal((await call()).instance, 'v1', `${name}: an absent header does not match`);
        }
      }
    } finally {
      await close();
    }
    const noV2 = clients({ engine, instances: { 'service-provider': [{ url: v1.url, attributes: { version: 'v1' } }] } });
    try {
      for (const [name, call] of noV2.calls) assert.equal((await call({ 'x-mse-tag': 'v2' })).instance, 'v1', `${name}: the fallback subset serves`);
    } finally {
      await noV2.close();
    }
  }

  it('sends upstream sample matches to v2 and the rest to v1, and to v1 when there is no v2 instance (rules file)', async () => {
    const engine = createEngine({ rules: UPSTREAM_SAMPLE, app: 'consumer', logger: false });
    try {
      await checkSample(engine);
    } finally {
      await engine.close();
    }
  });

  it('splits 1,000 calls 90/10 by weight', async () => {
    const engine = createEngine({ rules: WEIGHTED, logger: false });
    const { calls, close } = clients({ engine, instances });
    try {
      for (const [name, call] of calls) {
        const counts: Record<string, number> = {};
        for (let i = 0; i < 500; i++) {
          const batch = await Promise.all([call(), call()]);
          for (const seen of batch) counts[seen.instance] = (counts[seen.instance] ?? 0) + 1;
        }
        assert.ok(Math.abs((counts['v1'] ?? 0) - 900) <= 30 && Math.abs((counts['v2'] ?? 0) - 100) <= 30, `${name}: ${JSON.stringify(counts)}`);
      }
    } finally {
      await close();
      await engine.close();
    }
  });

  it('routes the same way when the control plane pushes the sample as an Envoy RouteConfiguration', async () => {
    const plane = await new TestControlPlane().start();
    // TrafficRouter is not among the kinds subscribed by default: ask for it.
    const source = createControlPlaneSource({ endpoint: plane.endpoint, namespace: 'default', app: 'consumer', kinds: [TRAFFIC_ROUTER_KIND] });
    const engine = createEngine({ app: 'consumer', namespace: 'default', logger: false, sources: [source] });
    try {
      await plane.waitForRequest((r) => ((r['target'] as { kinds?: string[] } | null)?.kinds ?? []).includes(TRAFFIC_ROUTER_KIND));
      const loaded = once(engine.events, 'rules:loaded');
      const data = [
        routeConfigurationAny({
          name: 'service-provider',
          namespace: 'default',
          hosts: ['service-provider'],
          http: [
            { headers: { 'x-mse-tag': { exact: 'v2' } }, route: [{ host: 'service-provider', subset: 'v2', fallback: { host: 'service-provider', subset: 'v1' } }] },
            { route: [{ host: 'service-provider', subset: 'v1' }] },
          ],
        }),
      ];
      plane.push({ kind: TRAFFIC_ROUTER_KIND, data, responseId: 'tr1', namespace: 'default', app: 'consumer' });
      assert.equal((await plane.answerTo('tr1'))['responseAck'], 'ACK');
      await loaded;
      assert.equal(engine.rules.trafficRouters.length, 1);
      await checkSample(engine);
    } finally {
      await engine.close();
      plane.stop();
    }
  });
});
