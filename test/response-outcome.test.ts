// exitWhenResponseCloses: one outcome per response, read through Node's own accessors on Node
// responses (including ones whose prototype a framework swapped, as Express does) and through
// plain properties on any other ResponseLike.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { request, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { exitWhenResponseCloses, type Entry, type Outcome } from '@opensergo/core';
import { serve } from './harness.js';

function recorder(): Entry & { outcomes: Outcome[] } {
  const outcomes: Outcome[] = [];
  return { outcomes, exit: (outcome) => void outcomes.push(outcome) };
}

const get = (port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });

describe('exitWhenResponseCloses', () => {
  it('reports finished with the status once, on a response whose prototype was swapped', async () => {
    const entry = recorder();
    let closed!: Promise<unknown>;
    // Express-style: the response gets its own prototype above ServerResponse.prototype.
    const framework = Object.create(ServerResponse.prototype) as object;
    await serve(
      (_req, res) => {
        Object.setPrototypeOf(res, framework);
        closed = new Promise((resolve) => res.on('close', resolve));
        exitWhenResponseCloses(res, entry);
        res.statusCode = 418;
        res.end('teapot');
      },
      async (port) => {
        assert.equal(await get(port), 418);
        await closed;
      },
    );
    assert.deepEqual(entry.outcomes, [{ type: 'finished', statusCode: 418 }]);
  });

  it('reports abandoned when the client goes away first', async () => {
    const entry = recorder();
    let closed!: Promise<unknown>;
    await serve(
      (req, res) => {
        closed = new Promise((resolve) => res.on('close', resolve));
        exitWhenResponseCloses(res, entry);
        req.socket.destroy();
      },
      async (port) => {
        await assert.rejects(get(port));
        await closed;
      },
    );
    assert.deepEqual(entry.outcomes, [{ type: 'abandoned' }]);
  });

  it('works on any ResponseLike, and exits at once when it is already closed', () => {
    const emitter = Object.assign(new EventEmitter(), { statusCode: 204, writableFinished: true, closed: false });
    const open = recorder();
    exitWhenResponseCloses(emitter, open);
    assert.deepEqual(open.outcomes, [], 'nothing before close');
    emitter.emit('close');
    assert.deepEqual(open.outcomes, [{ type: 'finished', statusCode: 204 }]);

    const gone = recorder();
    exitWhenResponseCloses({ statusCode: 200, writableFinished: false, closed: true, on: () => assert.fail('no listener needed') }, gone);
    assert.deepEqual(gone.outcomes, [{ type: 'abandoned' }]);
  });
});
