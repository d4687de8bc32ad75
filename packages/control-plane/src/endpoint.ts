const ENDPOINT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):([0-9]{1,5})$/;

/** What an endpoint must look like, for error messages. */
export const ENDPOINT_EXPECTED = '"host:port", e.g. "opensergo-control-plane.opensergo-system:10246" or "127.0.0.1:10246"';

/** Whether `value` is `host:port` (IPv6 hosts in brackets) with a port from 1 to 65535. */
export function isEndpoint(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = ENDPOINT.exec(value);
  const port = Number(match?.[2]);
  return match !== null && port >= 1 && port <= 65_535;
}
