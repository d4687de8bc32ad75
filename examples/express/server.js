// The launch post's rules on Express: `npm start` from the repository root.
import express from 'express';
import { fileURLToPath } from 'node:url';
import { opensergo } from '@opensergo/express';
import { propagationHeaders } from '@opensergo/core';
import { printHowToTry } from '../try.js';

const rulesFile = fileURLToPath(new URL('../opensergo.yaml', import.meta.url));
const port = Number(process.env.PORT ?? 3000);

const app = express();
const governance = opensergo({ rulesFile });
app.use(governance);

app.get('/foo', (req, res) => {
  res.send(`foo served (resource ${req.opensergo.resource})\n`);
});

app.get('/index', (req, res) => {
  const lane = req.opensergo.trafficLabel ?? 'base';
  // Calls to other services would carry the label on: fetch(url, { headers: propagationHeaders(...) })
  res.json({ page: lane === 'gray' ? 'new home page' : 'home page', trafficLabels: req.opensergo.trafficLabels, forward: propagationHeaders(req.opensergo.trafficLabels) });
});

app.use(governance.errors);

const server = app.listen(port, () => printHowToTry('Express', port));
process.on('SIGINT', () => server.close(() => governance.engine.close()));
process.on('SIGTERM', () => server.close(() => governance.engine.close()));
