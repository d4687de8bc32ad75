// TrafficRouter pushed as an Envoy RouteConfiguration (issue 15, item 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '@opensergo/core';
import { decodePush } from '../src/decode.js';
import { packAny } from '../src/proto.js';
import { routeConfigurationAny } from './route-configuration.js';

const key = { namespace: 'prod', app: 'consumer', kind: 'traffic.opensergo.io/v1alpha1/TrafficRouter' };

test('the upstream sample (header x-mse-tag exact v2 → subset v2, fallback v1) and a weighted split decode to the TrafficRouter a file would hold', () => {
  const any = routeConfigurationAny({
    name: 'service-provider',
    namespace: 'prod',
    hosts: ['service-provider'],
    http: [
      { headers: { 'x-mse-tag': { exact: 'v2' } }, route: [{ host: 'service-provider', subset: 'v2', fallback: { host: 'service-provider', subset: 'v1' } }] },
      { query: { beta: { exact: '1' } }, route: [{ host: 'service-provider', subset: 'v1', weight: 90 }, { host: 'service-provider', subset: 'v2', weight: 10 }] },
      { route: [{ host: 'service-provider', subset: 'v1' }] },
    ],
  });
  const result = decodePush(key, [any]);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  assert.deepEqual(result.values, [
    {
      apiVersion: 'traffic.opensergo.io/v1alpha1',
      kind: 'TrafficRouter',
      metadata: { name: 'service-provider', namespace: 'prod', labels: { app: 'consumer' } },
      spec: {
        hosts: ['service-provider'],
        http: [
          {
            match: [{ headers: { 'x-mse-tag': { exact: 'v2' } } }],
            route: [{ destination: { host: 'service-provider', subset: 'v2', fallback: { host: 'service-provider', subset: 'v1' } } }],
          },
          {
            match: [{ queryParams: { beta: { exact: '1' } } }],
            route: [
              { destination: { host: 'service-provider', subset: 'v1' }, weight: 90 },
              { destination: { host: 'service-provider', subset: 'v2' }, weight: 10 },
            ],
          },
          { match: [], route: [{ destination: { host: 'service-provider', subset: 'v1' } }] },
        ],
      },
    },
  ]);
  // …and core accepts it as it would the same YAML.
  const engine = createEngine({ rules: result.values, app: 'consumer', namespace: 'prod', logger: false });
  assert.equal(engine.rules.trafficRouters[0]?.http[1]?.route[0]?.weight, 90);
  void engine.close();
});

test('a route the TrafficRouter cannot express refuses the push, naming the field', () => {
  const redirect = packAny('envoy.config.route.v3.RouteConfiguration', {
    name: 'r',
    virtualHosts: [{ name: 'r', domains: ['a.prod.svc.cluster.local'], routes: [{ match: { prefix: '/' }, redirect: Buffer.from([]) }] }],
  });
  const header = (m: Record<string, unknown>): { type_url: string; value: Buffer } =>
    packAny('envoy.config.route.v3.RouteConfiguration', {
      name: 'r',
      virtualHosts: [{ name: 'r', domains: ['a.prod.svc.cluster.local'], routes: [{ match: { headers: [{ name: 'x', ...m }] }, route: { cluster: 'outbound||v1|a.prod.svc.cluster.local' } }] }],
    });
  const reason = (any: { type_url: string; value: Buffer }): string => {
    const result = decodePush(key, [any]);
    return result.ok ? '' : result.reason;
  };
  assert.match(reason(redirect), /^data\[0\]: TrafficRouter "r" virtual_hosts\[0\]\.routes\[0\]: only routes that forward/);
  assert.match(reason(header({ presentMatch: true })), /routes\[0\]\.match\.headers\[0\]: only exact, prefix and regex header matches/);
  assert.match(reason(header({ exactMatch: 'v', invertMatch: true })), /headers\[0\]\.invert_match: has no TrafficRouter equivalent/);
  const badCluster = packAny('envoy.config.route.v3.RouteConfiguration', {
    name: 'r',
    virtualHosts: [{ name: 'r', domains: ['a'], routes: [{ match: {}, route: { cluster: 'a-cluster' } }] }],
  });
  assert.match(reason(badCluster), /route\.cluster: cluster "a-cluster" is not outbound\|<port>\|<subset>\|<host>/);
});
