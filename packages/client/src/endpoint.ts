import { OpenSergoError, type Instance } from '@opensergo/core';

/** An instance made ready to send to: its URL parsed once. */
export interface Endpoint {
  readonly instance: Instance;
  /** `http://10.0.0.5:8080` */
  readonly origin: string;
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
}

// Discovery sources hand out the same Instance objects until they change: parse each once.
const parsed = new WeakMap<Instance, Endpoint>();

/**
 * The endpoint of `instance`. Throws `ERR_OPENSERGO_OPTIONS_INVALID` for a URL that is not
 * `http://host[:port]` or `https://host[:port]` (a path is not supported: instances are origins).
 *
 * @example
 * ```ts
 * endpointOf({ url: 'http://127.0.0.1:4001', labels: [], attributes: {} }).port; // 4001
 * ```
 */
export function endpointOf(instance: Instance): Endpoint {
  let endpoint = parsed.get(instance);
  if (endpoint === undefined) {
    endpoint = parse(instance);
    parsed.set(instance, endpoint);
  }
  return endpoint;
}

function parse(instance: Instance): Endpoint {
  let url: URL | undefined;
  try {
    url = new URL(instance.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '') || url.search) {
    throw new OpenSergoError(
      'ERR_OPENSERGO_OPTIONS_INVALID',
      `instance URL ${JSON.stringify(instance.url)} is not an origin; expected http://host[:port] or https://host[:port]`,
    );
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { instance, origin: url.origin, protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port };
}
