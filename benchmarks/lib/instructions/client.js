// A fixed-count HTTP/1.1 keep-alive client for the instruction benchmark: `send(n)` sends
// exactly n requests on one socket, each after the previous response was read in full (no
// pipelining), byte-identical every time. The socket stays open across calls: warm-up and every
// measured window use the same connection (a connection closing in between changes the shapes
// of the server's socket objects and deoptimises Node's stream code, which then recompiles
// inside the measurement).
import net from 'node:net';

/**
 * Opens a keep-alive connection to 127.0.0.1:`port`.
 * @returns {Promise<{ send(n: number): Promise<Record<string, number>>, close(): Promise<void> }>} `send` resolves to the count per status
 */
export function connect(port, route = '/bench') {
  const request = Buffer.from(`GET ${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let job = null; // { left, statuses, resolve, reject }
    let closed = false;
    const next = () => {
      if (job.left === 0) {
        const { statuses, resolve: done } = job;
        job = null;
        return done(statuses);
      }
      job.left--;
      socket.write(request);
    };
    socket.on('error', (e) => (job ? job.reject(e) : reject(e)));
    socket.on('close', () => {
      closed = true;
      job?.reject(new Error('the server closed the connection'));
    });
    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (let r = parseResponse(buffer); r; r = parseResponse(buffer)) {
        buffer = buffer.subarray(r.length);
        if (!job) return socket.destroy(new Error('a response without a request'));
        job.statuses[r.status] = (job.statuses[r.status] ?? 0) + 1;
        next();
      }
    });
    socket.on('connect', () =>
      resolve({
        send: (n) =>
          new Promise((res, rej) => {
            if (closed) return rej(new Error('the connection is closed'));
            job = { left: n, statuses: {}, resolve: res, reject: rej };
            next();
          }),
        close: () =>
          new Promise((res) => {
            if (closed) return res();
            socket.once('close', res);
            socket.end();
          }),
      }),
    );
  });
}

/** Opens a connection, sends `n` requests, closes it. */
export async function sendAndClose(port, n) {
  const client = await connect(port);
  try {
    return await client.send(n);
  } finally {
    await client.close();
  }
}

/** One complete response at the start of `buf`: its status and length, or null if incomplete. */
function parseResponse(buf) {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const head = buf.subarray(0, headEnd).toString('latin1');
  const status = head.slice(9, 12);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const end = headEnd + 4 + Number(length[1]);
    return buf.length >= end ? { status, length: end } : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    for (let at = headEnd + 4; ; ) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
      at = lineEnd + 2 + size + 2;
      if (buf.length < at) return null;
      if (size === 0) return { status, length: at };
    }
  }
  return { status, length: headEnd + 4 };
}
