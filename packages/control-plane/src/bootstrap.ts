import { readFileSync } from 'node:fs';
import { OpenSergoError } from '@opensergo/core';
import { ENDPOINT_EXPECTED, isEndpoint } from './endpoint.js';

/**
 * Where the control plane is, as the OpenSergo bootstrap configuration says.
 *
 * @example
 * ```ts
 * import { resolveBootstrap, type Bootstrap } from '@opensergo/control-plane';
 *
 * const bootstrap: Bootstrap | undefined = resolveBootstrap();
 * console.log(bootstrap?.endpoint ?? 'no OPENSERGO_BOOTSTRAP_CONFIG / OPENSERGO_BOOTSTRAP set');
 * ```
 */
export interface Bootstrap {
  readonly endpoint: string;
}

const EXPECTED = `JSON such as {"endpoint":"127.0.0.1:10246"} (endpoint: ${ENDPOINT_EXPECTED})`;

function invalid(message: string, cause?: unknown): OpenSergoError {
  return new OpenSergoError('ERR_OPENSERGO_CONTROL_PLANE', message, cause === undefined ? {} : { cause });
}

function parse(text: string, origin: string): Bootstrap {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`${origin} is not valid JSON (${(err as Error).message}); expected ${EXPECTED}`, err);
  }
  const endpoint = typeof value === 'object' && value !== null ? (value as { endpoint?: unknown }).endpoint : undefined;
  if (endpoint === undefined) throw invalid(`${origin} has no "endpoint"; expected ${EXPECTED}`);
  if (!isEndpoint(endpoint)) {
    throw invalid(`${origin} has endpoint ${JSON.stringify(endpoint)}; expected ${ENDPOINT_EXPECTED}`);
  }
  return Object.freeze({ endpoint });
}

/**
 * Reads the OpenSergo bootstrap configuration from the environment:
 * `OPENSERGO_BOOTSTRAP_CONFIG` (the JSON itself) wins over `OPENSERGO_BOOTSTRAP` (a path
 * to a file holding it). Returns `undefined` when neither is set.
 *
 * @throws OpenSergoError `ERR_OPENSERGO_CONTROL_PLANE` when the JSON is invalid, the file
 *   unreadable, or `endpoint` missing or not `host:port`; the message names the variable.
 *
 * @example
 * ```ts
 * import { createControlPlaneSource, resolveBootstrap } from '@opensergo/control-plane';
 *
 * const bootstrap = resolveBootstrap({ OPENSERGO_BOOTSTRAP_CONFIG: '{"endpoint":"127.0.0.1:10246"}' });
 * if (bootstrap) {
 *   const source = createControlPlaneSource({ endpoint: bootstrap.endpoint, namespace: 'default', app: 'foo-app' });
 *   await source.close();
 * }
 * ```
 */
export function resolveBootstrap(env: Readonly<Record<string, string | undefined>> = process.env): Bootstrap | undefined {
  const inline = env['OPENSERGO_BOOTSTRAP_CONFIG'];
  if (inline !== undefined && inline.trim() !== '') return parse(inline, 'OPENSERGO_BOOTSTRAP_CONFIG');
  const path = env['OPENSERGO_BOOTSTRAP'];
  if (path === undefined || path.trim() === '') return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(`OPENSERGO_BOOTSTRAP names ${JSON.stringify(path)}, which cannot be read (${(err as Error).message}); expected a file holding ${EXPECTED}`, err);
  }
  return parse(text, `OPENSERGO_BOOTSTRAP file ${JSON.stringify(path)}`);
}
