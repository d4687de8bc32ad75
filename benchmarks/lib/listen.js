import { once } from 'node:events';

/**
 * Waits for a Node HTTP server to listen and returns its port and a `close`.
 * @param {import('node:http').Server} server
 * @returns {Promise<{ port: number, close(): Promise<void> }>}
 */
export async function listen(server) {
  if (!server.listening) await once(server, 'listening');
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
