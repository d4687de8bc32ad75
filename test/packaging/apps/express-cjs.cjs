// The same app as express-esm.mjs, in CommonJS.
const express = require('express');
const { opensergo } = require('@opensergo/express');

const app = express();
const governance = opensergo({ rulesFile: './opensergo.yaml', app: 'my-app' });
app.use(governance);
app.get(['/foo', '/index'], (req, res) => res.send(`lane: ${req.opensergo.trafficLabel ?? 'base'}`));
app.use(governance.errors);
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
