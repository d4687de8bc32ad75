// Express, CommonJS (.cts under module node16: compiled to require() calls), strict.
import express = require('express');
import type { AddressInfo } from 'node:net';
import { opensergo } from '@opensergo/express';
import { isOpenSergoError, type Engine } from '@opensergo/core';

const app = express();
const governance = opensergo({ rulesFile: './opensergo.yaml', app: 'my-app' });
const engine: Engine = governance.engine;
app.use(governance);
app.get(['/foo', '/index'], (req, res) => {
  res.send(`lane: ${req.opensergo.trafficLabel ?? 'base'}`);
});
app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
  if (isOpenSergoError(error)) res.status(500).send(error.code);
  else next(error);
});
/** Never called: checks that the types are real, not an `any` that would accept anything. */
export function typesAreReal(): void {
  // @ts-expect-error -- rulesFile is a string
  opensergo({ rulesFile: 42 });
}
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port, rules: engine.status().rules.faultToleranceRules }));
});
