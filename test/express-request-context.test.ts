// Express only: `req.opensergo` is an accessor on Express's request prototype that reads the
// decision kept in `res.locals` under a symbol (a new own property on Express's `req` cost
// ~1.5 µs per request). These cases check that handlers see it everywhere Express can route a
// request — routers, mounted sub-apps, a second app — that a handler can still assign it, and
// that `res.locals` looks untouched to the app and its templates.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import express4 from 'express4';
import express5 from 'express5';

type Request = express5.Request;
type Response = express5.Response;
import { opensergo } from '@opensergo/express';
import { send, serve } from './harness.js';

const LABEL_RULE = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficLabelRule
metadata: { name: gray }
spec:
  selector: { app: my-app }
  trafficLabel: gray
  match:
    - condition: "=="
      type: header
      key: 'X-User-Id'
      value: 12345
`;
const GRAY = { headers: { 'x-user-id': '12345' } };

type Reader = { opensergo?: { resource: string; trafficLabel?: string } };
const echo = (req: Request, res: Response): void => {
  res.json({ resource: req.opensergo?.resource ?? null, label: req.opensergo?.trafficLabel ?? null });
};

for (const [name, express] of [
  ['express4', express4 as unknown as typeof express5],
  ['express5', express5],
] as const) {
  describe(`req.opensergo on ${name}`, () => {
    it('is seen in routers, mounted sub-apps and a second app, per request', async () => {
      const governance = opensergo({ rules: LABEL_RULE, app: 'my-app', logger: false });
      const app = express();
      app.use(governance);
      const router = express.Router();
      router.get('/r', echo);
      app.use('/router', router);
      const sub = express();
      sub.get('/s', echo);
      app.use('/sub', sub);
      const other = express();
      other.use(opensergo({ rules: LABEL_RULE, app: 'my-app', logger: false }));
      other.get('/o', echo);
      app.use('/other', other);
      app.get('/plain', echo);
      try {
        await serve(app, async (port) => {
          for (const path of ['/router/r', '/sub/s', '/other/o', '/plain']) {
            assert.deepEqual(JSON.parse((await send(port, path, GRAY)).body), { resource: path, label: 'gray' }, path);
            assert.deepEqual(JSON.parse((await send(port, path)).body), { resource: path, label: null }, path);
          }
        });
      } finally {
        await governance.engine.close();
      }
    });

    it('is undefined on requests the middleware never saw, and a handler may assign it', async () => {
      const governance = opensergo({ rules: LABEL_RULE, app: 'my-app', logger: false });
      const app = express();
      app.get('/before', echo);
      app.use(governance);
      app.get('/assigned', (req, res) => {
        req.opensergo = { resource: 'mine', trafficLabel: 'blue', trafficLabels: ['blue'] };
        echo(req, res);
      });
      try {
        await serve(app, async (port) => {
          assert.deepEqual(JSON.parse((await send(port, '/before', GRAY)).body), { resource: null, label: null });
          assert.deepEqual(JSON.parse((await send(port, '/assigned', GRAY)).body), { resource: 'mine', label: 'blue' });
        });
      } finally {
        await governance.engine.close();
      }
    });

    it('leaves res.locals looking empty to the app, and survives handlers writing to it', async () => {
      const governance = opensergo({ rules: LABEL_RULE, app: 'my-app', logger: false });
      const app = express();
      app.use(governance);
      app.use((_req, res, next) => {
        res.locals.user = 'ada';
        next();
      });
      app.get('/locals', (req, res) => {
        res.json({ keys: Object.keys(res.locals), json: JSON.stringify(res.locals), label: req.opensergo?.trafficLabel ?? null });
      });
      try {
        await serve(app, async (port) => {
          assert.deepEqual(JSON.parse((await send(port, '/locals', GRAY)).body), {
            keys: ['user'],
            json: '{"user":"ada"}',
            label: 'gray',
          });
        });
      } finally {
        await governance.engine.close();
      }
    });
  });
}

describe('req.opensergo without Express', () => {
  it('is an own property when the middleware runs on a plain node:http request', async () => {
    const governance = opensergo({ rules: LABEL_RULE, app: 'my-app', logger: false });
    try {
      await serve(
        (req: IncomingMessage, res: ServerResponse) =>
          governance(req, res, () => {
            const context = (req as Reader).opensergo;
            res.end(JSON.stringify({ own: Object.hasOwn(req, 'opensergo'), label: context?.trafficLabel ?? null }));
          }),
        async (port) => {
          assert.deepEqual(JSON.parse((await send(port, '/x', GRAY)).body), { own: true, label: 'gray' });
        },
      );
    } finally {
      await governance.engine.close();
    }
  });
});
