// Encodes a TrafficRouter the way the reference OpenSergo control plane pushes it: an Envoy
// RouteConfiguration, one virtual host of FQDN domains, clusters `outbound||<subset>|<fqdn>`,
// the fallback through the cluster_fallback plugin, weights as weighted clusters.
import { encodeMessage, packAny } from '../src/proto.js';

export interface RouterSketch {
  name: string;
  namespace: string;
  hosts: string[];
  http: {
    headers?: Record<string, { exact?: string; prefix?: string; regex?: string }>;
    query?: Record<string, { exact: string }>;
    route: { host: string; subset?: string; weight?: number; fallback?: { host: string; subset?: string } }[];
  }[];
}

const fqdn = (host: string, namespace: string): string => `${host}.${namespace}.svc.cluster.local`;
const cluster = (host: string, subset: string | undefined, namespace: string): string => `outbound||${subset ?? ''}|${fqdn(host, namespace)}`;

function action(route: RouterSketch['http'][number]['route'], namespace: string): Record<string, unknown> {
  if (route.length > 1) {
    return { weightedClusters: { clusters: route.map((d) => ({ name: cluster(d.host, d.subset, namespace), weight: { value: d.weight ?? 0 } })) } };
  }
  const only = route[0]!;
  if (only.fallback === undefined) return { cluster: cluster(only.host, only.subset, namespace) };
  const config = encodeMessage('io.opensergo.proto.router.v1.ClusterFallbackConfig_ClusterConfig', {
    RoutingCluster: cluster(only.host, only.subset, namespace),
    FallbackCluster: cluster(only.fallback.host, only.fallback.subset, namespace),
  });
  return {
    inlineClusterSpecifierPlugin: {
      extension: {
        name: 'envoy.router.cluster_specifier_plugin.cluster_fallback',
        typedConfig: { type_url: 'type.googleapis.com/io.opensergo.proto.router.v1.ClusterFallbackConfig_ClusterConfig', value: config },
      },
    },
  };
}

/** The `google.protobuf.Any` the reference control plane would push for `router`. */
export function routeConfigurationAny(router: RouterSketch): { type_url: string; value: Buffer } {
  return packAny('envoy.config.route.v3.RouteConfiguration', {
    name: router.name,
    virtualHosts: [
      {
        name: router.name,
        domains: router.hosts.map((h) => fqdn(h, router.namespace)),
        routes: router.http.map((h) => ({
          match: {
            headers: Object.entries(h.headers ?? {}).map(([name, m]) =>
              m.exact !== undefined ? { name, exactMatch: m.exact } : m.prefix !== undefined ? { name, prefixMatch: m.prefix } : { name, safeRegexMatch: { regex: m.regex } },
            ),
            queryParameters: Object.entries(h.query ?? {}).map(([name, m]) => ({ name, stringMatch: { exact: m.exact } })),
          },
          route: action(h.route, router.namespace),
        })),
      },
    ],
  });
}
