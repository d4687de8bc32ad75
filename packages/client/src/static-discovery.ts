import { OpenSergoError, checkLabels, type Discovery, type Instance } from '@opensergo/core';
import { endpointOf } from './endpoint.js';

/** An instance as written in the `instances` option: only `url` is required. */
export interface InstanceOption {
  readonly url: string;
  readonly labels?: readonly string[];
  readonly attributes?: Readonly<Record<string, string>>;
}

/**
 * Discovery from a fixed list: `{ backend: [{ url, labels, attributes }] }`. Every listed app
 * is known; its instances are all taken as live (a refused connection still moves the call to
 * another instance for a while, see the client's `unreachableMs`). Throws
 * `ERR_OPENSERGO_OPTIONS_INVALID` naming the first malformed entry.
 *
 * @example
 * ```ts
 * import { staticDiscovery } from '@opensergo/client';
 * const discovery = staticDiscovery({
 *   backend: [{ url: 'http://127.0.0.1:4001' }, { url: 'http://127.0.0.1:4002', labels: ['gray'] }],
 * });
 * ```
 */
export function staticDiscovery(apps: Readonly<Record<string, readonly InstanceOption[]>>): Discovery {
  if (typeof apps !== 'object' || apps === null || Array.isArray(apps)) {
    throw invalid('`instances` must map app names to lists of { url, labels?, attributes? }');
  }
  const byApp = new Map<string, readonly Instance[]>();
  for (const [app, list] of Object.entries(apps)) {
    if (!Array.isArray(list)) throw invalid(`instances.${app} must be a list of { url, labels?, attributes? }`);
    byApp.set(app, Object.freeze(list.map((entry: InstanceOption, i) => instance(entry, `instances.${app}[${i}]`))));
  }
  return { name: 'static', instances: (app) => byApp.get(app) };
}

function instance(entry: InstanceOption, where: string): Instance {
  if (typeof entry !== 'object' || entry === null || typeof entry.url !== 'string') throw invalid(`${where} must be { url, labels?, attributes? }`);
  const labels = entry.labels ?? [];
  try {
    checkLabels(labels);
  } catch (err) {
    throw invalid(`${where}.labels: ${(err as Error).message}`);
  }
  const attributes = entry.attributes ?? {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value !== 'string') throw invalid(`${where}.attributes.${key} must be a string`);
  }
  const result: Instance = Object.freeze({ url: entry.url, labels: Object.freeze([...labels]), attributes: Object.freeze({ ...attributes }) });
  try {
    endpointOf(result);
  } catch (err) {
    throw invalid(`${where}.url: ${(err as Error).message}`);
  }
  return result;
}

function invalid(message: string): OpenSergoError {
  return new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `Invalid @opensergo/client options: ${message}`);
}
