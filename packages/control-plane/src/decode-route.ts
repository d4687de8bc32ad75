import type { SubscriptionKey } from './decode.js';
import { FieldError, fail } from './field-error.js';
import { TRAFFIC_API_VERSION } from './kinds.js';
import { decodeMessage } from './proto.js';

type Message = Record<string, unknown>;

const ROUTE_CONFIGURATION = 'envoy.config.route.v3.RouteConfiguration';
const CLUSTER_FALLBACK_PLUGIN = 'envoy.router.cluster_specifier_plugin.cluster_fallback';
const CLUSTER_FALLBACK_CONFIG = 'io.opensergo.proto.router.v1.ClusterFallbackConfig_ClusterConfig';

const asMessage = (value: unknown): Message => (typeof value === 'object' && value !== null ? (value as Message) : {});
const list = (value: unknown): Message[] => (Array.isArray(value) ? value.map(asMessage) : []);
const has = (m: Message, field: string): boolean => m[field] !== undefined && m[field] !== null;

/** `reviews.prod.svc.cluster.local` → `reviews`: the control plane qualifies every host this way. */
function shortHost(fqdn: string, namespace: string): string {
  for (const suffix of [`.${namespace}.svc.cluster.local`, '.svc.cluster.local']) {
    if (fqdn.endsWith(suffix)) return fqdn.slice(0, -suffix.length).split('.')[0]!;
  }
  return fqdn;
}

/** `outbound|<port>|<subset>|<host fqdn>` → a TrafficRouter destination. */
function destination(cluster: string, namespace: string, field: string): { host: string; subset?: string } {
  const parts = cluster.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound' || parts[3] === '') {
    fail(field, `cluster "${cluster}" is not outbound|<port>|<subset>|<host>`);
  }
  const result: { host: string; subset?: string } = { host: shortHost(parts[3]!, namespace) };
  if (parts[2] !== '') result.subset = parts[2]!;
  return result;
}

/** An Envoy StringMatcher as a TrafficRouter StringMatch (exact, prefix or regex only). */
function stringMatch(m: Message, field: string): Record<string, string> {
  if (m['ignoreCase'] === true) fail(`${field}.ignore_case`, 'has no TrafficRouter equivalent');
  if (has(m, 'exact')) return { exact: String(m['exact']) };
  if (has(m, 'prefix')) return { prefix: String(m['prefix']) };
  if (has(m, 'safeRegex')) return { regex: String(asMessage(m['safeRegex'])['regex'] ?? '') };
  return fail(field, 'only exact, prefix and safe_regex string matches have a TrafficRouter equivalent');
}

function headerMatch(h: Message, field: string): Record<string, string> {
  if (h['invertMatch'] === true) fail(`${field}.invert_match`, 'has no TrafficRouter equivalent');
  if (has(h, 'exactMatch')) return { exact: String(h['exactMatch']) };
  if (has(h, 'prefixMatch')) return { prefix: String(h['prefixMatch']) };
  if (has(h, 'safeRegexMatch')) return { regex: String(asMessage(h['safeRegexMatch'])['regex'] ?? '') };
  if (has(h, 'stringMatch')) return stringMatch(asMessage(h['stringMatch']), `${field}.string_match`);
  return fail(field, 'only exact, prefix and regex header matches have a TrafficRouter equivalent');
}

/** The one `match[]` entry of a route (the control plane merges a TrafficRouter's entries into one). */
function routeMatch(m: Message, field: string): Record<string, unknown>[] {
  const match: Record<string, unknown> = {};
  if (has(m, 'path')) match['uri'] = { exact: String(m['path']) };
  else if (has(m, 'safeRegex')) match['uri'] = { regex: String(asMessage(m['safeRegex'])['regex'] ?? '') };
  else if (has(m, 'prefix') && m['prefix'] !== '/' && m['prefix'] !== '') match['uri'] = { prefix: String(m['prefix']) };
  if (has(m, 'caseSensitive') && asMessage(m['caseSensitive'])['value'] === false && match['uri'] !== undefined) match['ignoreUriCase'] = true;
  const headers: Record<string, unknown> = {};
  list(m['headers']).forEach((h, i) => (headers[String(h['name'])] = headerMatch(h, `${field}.headers[${i}]`)));
  if (Object.keys(headers).length) match['headers'] = headers;
  const queryParams: Record<string, unknown> = {};
  list(m['queryParameters']).forEach((q, i) => {
    const at = `${field}.query_parameters[${i}]`;
    if (!has(q, 'stringMatch')) fail(at, 'only string matches of query parameters have a TrafficRouter equivalent');
    queryParams[String(q['name'])] = stringMatch(asMessage(q['stringMatch']), `${at}.string_match`);
  });
  if (Object.keys(queryParams).length) match['queryParams'] = queryParams;
  return Object.keys(match).length ? [match] : [];
}

/** A RouteAction as TrafficRouter `route[]`: one cluster, weighted clusters, or the cluster_fallback plugin. */
function routeAction(a: Message, namespace: string, field: string): Record<string, unknown>[] {
  if (has(a, 'cluster')) return [{ destination: destination(String(a['cluster']), namespace, `${field}.cluster`) }];
  if (has(a, 'weightedClusters')) {
    return list(asMessage(a['weightedClusters'])['clusters']).map((c, i) => ({
      destination: destination(String(c['name'] ?? ''), namespace, `${field}.weighted_clusters.clusters[${i}]`),
      weight: Number(asMessage(c['weight'])['value'] ?? 0),
    }));
  }
  if (has(a, 'inlineClusterSpecifierPlugin')) {
    const extension = asMessage(asMessage(a['inlineClusterSpecifierPlugin'])['extension']);
    const at = `${field}.inline_cluster_specifier_plugin`;
    if (extension['name'] !== CLUSTER_FALLBACK_PLUGIN) fail(at, `plugin "${String(extension['name'])}" is not ${CLUSTER_FALLBACK_PLUGIN}`);
    const any = asMessage(extension['typedConfig']);
    const url = String(any['type_url'] ?? any['typeUrl'] ?? '');
    if (!url.endsWith(`/${CLUSTER_FALLBACK_CONFIG}`)) fail(`${at}.typed_config`, `type URL "${url}" is not ${CLUSTER_FALLBACK_CONFIG}`);
    const config = decodeMessage(CLUSTER_FALLBACK_CONFIG, (any['value'] as Uint8Array | undefined) ?? new Uint8Array());
    const routed = destination(String(config['RoutingCluster'] ?? ''), namespace, `${at}.RoutingCluster`);
    const fallback = config['FallbackCluster'] ? destination(String(config['FallbackCluster']), namespace, `${at}.FallbackCluster`) : undefined;
    return [{ destination: fallback === undefined ? routed : { ...routed, fallback } }];
  }
  return fail(field, 'only cluster, weighted_clusters and the cluster_fallback plugin have a TrafficRouter equivalent');
}

/**
 * Decodes a TrafficRouter pushed as an Envoy `RouteConfiguration` (what the reference control
 * plane sends) into the document a rules file would hold. What the wire format cannot carry is
 * in docs/control-plane.md; anything in the push without a TrafficRouter equivalent refuses it.
 *
 * @example
 * ```ts
 * const doc = decodeRouteConfiguration(key, any.value, 'data[0]');
 * ```
 */
export function decodeRouteConfiguration(key: SubscriptionKey, bytes: Uint8Array, at: string): unknown {
  let config: Message;
  try {
    config = decodeMessage(ROUTE_CONFIGURATION, bytes);
  } catch (err) {
    throw new FieldError(`${at}: bytes are not a valid ${ROUTE_CONFIGURATION}: ${(err as Error).message}`);
  }
  const name = String(config['name'] ?? '');
  const where = `${at}: TrafficRouter "${name}"`;
  const hosts: string[] = [];
  const http: Record<string, unknown>[] = [];
  try {
    list(config['virtualHosts']).forEach((vhost, v) => {
      for (const domain of (vhost['domains'] as string[] | undefined) ?? []) {
        const host = shortHost(domain, key.namespace);
        if (!hosts.includes(host)) hosts.push(host);
      }
      list(vhost['routes']).forEach((route, r) => {
        const field = `virtual_hosts[${v}].routes[${r}]`;
        if (!has(route, 'route')) fail(field, 'only routes that forward (a RouteAction) have a TrafficRouter equivalent');
        http.push({ match: routeMatch(asMessage(route['match']), `${field}.match`), route: routeAction(asMessage(route['route']), key.namespace, `${field}.route`) });
      });
    });
  } catch (err) {
    if (err instanceof FieldError) throw new FieldError(`${where} ${err.message}`);
    throw err;
  }
  const metadata = { name, namespace: key.namespace, labels: { app: key.app } };
  return { apiVersion: TRAFFIC_API_VERSION, kind: 'TrafficRouter', metadata, spec: { hosts, http } };
}
