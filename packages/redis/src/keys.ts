/**
 * Redis key names. Everything between `{` and `}` is the Cluster hash tag, so a guard's key
 * (and any key added for it later) lands in one slot. Braces inside names (`/foo/{id}`) and
 * `%` are percent-encoded, so the tag is never cut short and no two names collide.
 *
 * `opensergo:{prod/orders/prod/my-limit/*:/foo}:rate`
 *  prefix    namespace/app/rule-key                 kind
 */
const escape = (part: string): string =>
  part.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));

export function redisKey(prefix: string, scope: string, key: string, kind: 'rate' | 'window' | 'permits' | 'holders' | 'held' | 'instances'): string {
  return `${prefix}{${escape(key === '' ? scope : `${scope}/${key}`)}}:${kind}`;
}

/**
 * The key a shard's recovery probe writes after `key` failed: beside it, in its hash tag (so
 * its slot, on the same node), gone a second later. `opensergo:{prod/orders/…:/foo}:probe`
 */
export function probeKey(key: string): string {
  return `${key.slice(0, key.lastIndexOf('}') + 1)}:probe`;
}

/**
 * Where one registered instance describes itself (URL, labels, attributes): beside its app's
 * `instances` set, in the same Cluster slot. `opensergo:{prod/orders}:instance:<id>`
 */
export function instanceKey(prefix: string, scope: string, id: string): string {
  return `${prefix}{${escape(scope)}}:instance:${escape(id)}`;
}
