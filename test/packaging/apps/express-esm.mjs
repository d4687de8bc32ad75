// The same app as express-cjs.cjs, as an ES module.
import express from 'express';
import { opensergo } from '@opensergo/express';

const app = express();
const governance = opensergo({ rulesFile: './opensergo.yaml', app: 'my-app' });
app.use(governance);
app.get(['/foo', '/index'], (req, res) => res.send(`lane: ${req.opensergo.trafficLabel ?? 'base'}`));
app.use(governance.errors);
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
