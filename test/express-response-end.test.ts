// Express only: the adapter hears an admitted response's end on its socket and on Node's
// `http.server.response.finish` channel (packages/express/src/response-end.ts), not through a
// listener on `res`. These pin that it reports what the response's own 'close' would, and
// frees each permit once, on keep-alive and pipelined connections, with two engines on one
// response, and when the client goes away before the handler answers.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import express4 from 'express4';
import express5 from 'express5';
import { opensergo } from '@opensergo/express';
import { concurrency, rule, rules } from '../packages/core/test/helpers/yaml.js';
import { serve } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const oneAtATime = (name: string): string => rules(concurrency(`${name}-one`, 1), rule(name, ['/work'], [`${name}-one`]));
type Governance = ReturnType<typeof opensergo>;

/** In flight, finished or failed (abandoned ones are neither), and failed, over every rule's rows. */
function outcomes(governance: Governance): { inFlight: number; ended: number; failed: number } {
  const rows = governance.engine.metrics().resources;
  return {
    inFlight: rows.reduce((sum, r) => sum + r.inFlight, 0),
    ended: rows.reduce((sum, r) => sum + r.duration.count, 0),
    failed: rows.reduce((sum, r) => sum + r.failed, 0),
  };
}

/** GET `path` on a keep-alive `agent`: the status. */
const get = (port: number, path: string, agent: Agent): Promise<number> =>
  new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });

/** Writes `count` pipelined GETs of `path` on one connection; resolves with the statuses read. */
const pipelined = (port: number, path: string, count: number): Promise<string[]> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const statuses = text.match(/HTTP\/1\.1 \d+/g) ?? [];
      if (statuses.length === count && text.endsWith('done')) {
        socket.end();
        resolve(statuses.map((s) => s.slice(9)));
      }
    });
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count));
  });

for (const [name, express] of [['Express 4', express4], ['Express 5', express5]] as const) {
  describe(`admitted responses' ends on ${name}`, () => {
    const app = (governances: readonly Governance[], handler: (status: number, wait: number) => number = () => 0): ReturnType<typeof express> => {
      const application = express();
      for (const governance of governances) application.use(governance);
      let served = 0;
      application.get('/work', (req, res) => {
        const status = req.query['status'] ? Number(req.query['status']) : 200;
        setTimeout(() => void res.status(status).send('done'), handler(status, served++));
      });
      return application;
    };

    it('keep-alive: each response finished with its status frees the permit for the next on the connection', async () => {
      const governance = opensergo({ rules: oneAtATime('keep'), logger: false });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        await serve(app([governance]), async (port) => {
          const statuses = [];
          for (const status of [200, 503, 200, 201]) statuses.push(await get(port, `/work?status=${status}`, agent));
          assert.deepEqual(statuses, [200, 503, 200, 201]);
          await sleep(20);
          assert.deepEqual(outcomes(governance), { inFlight: 0, ended: 4, failed: 1 });
        });
      } finally {
        agent.destroy();
        await governance.engine.close();
      }
    });

    it('pipelined requests on one connection: every response finished, every permit freed once', async () => {
      const governance = opensergo({ rules: rules(concurrency('three', 3), rule('piped', ['/work'], ['three'])), logger: false });
      try {
        // The first answers last: the later responses wait in Node's queue behind it.
        await serve(app([governance], (_status, i) => (i === 0 ? 60 : 5)), async (port) => {
          assert.deepEqual(await pipelined(port, '/work', 3), ['200', '200', '200']);
          await sleep(20);
          assert.deepEqual(outcomes(governance), { inFlight: 0, ended: 3, failed: 0 });
          assert.deepEqual(await pipelined(port, '/work', 3), ['200', '200', '200'], 'no permit left held');
        });
      } finally {
        await governance.engine.close();
      }
    });

    it('two engines on one response: both hear its end', async () => {
      const first = opensergo({ rules: oneAtATime('first'), logger: false });
      const second = opensergo({ rules: oneAtATime('second'), logger: false });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        await serve(app([first, second]), async (port) => {
          for (let i = 0; i < 3; i++) assert.equal(await get(port, '/work', agent), 200);
          await sleep(20);
          assert.deepEqual(outcomes(first), { inFlight: 0, ended: 3, failed: 0 });
          assert.deepEqual(outcomes(second), { inFlight: 0, ended: 3, failed: 0 });
        });
      } finally {
        agent.destroy();
        await Promise.all([first.engine.close(), second.engine.close()]);
      }
    });

    it('the client goes away before the handler answers: abandoned when the connection closes, not finished later', async () => {
      const governance = opensergo({ rules: oneAtATime('gone'), logger: false });
      try {
        await serve(app([governance], () => 150), async (port) => {
          const socket = connect(port, '127.0.0.1');
          socket.on('error', () => {});
          socket.write('GET /work HTTP/1.1\r\nHost: x\r\n\r\n');
          await sleep(40);
          socket.destroy();
          await sleep(40);
          assert.deepEqual(outcomes(governance), { inFlight: 0, ended: 0, failed: 0 }, 'abandoned while the handler still runs');
          await sleep(150); // the handler answers into the closed connection
          assert.deepEqual(outcomes(governance), { inFlight: 0, ended: 0, failed: 0 }, 'and nothing more');
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          assert.equal(await get(port, '/work', agent), 200, 'the permit is free');
          agent.destroy();
        });
      } finally {
        await governance.engine.close();
      }
    });
  });
}
