// Express, ES module, strict: the handler reads req.opensergo without a guard.
import express, { type Request, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import { opensergo, type RequestContext } from '@opensergo/express';

const app = express();
const governance = opensergo({ rulesFile: './opensergo.yaml', app: 'my-app' });
app.use(governance);
app.get(['/foo', '/index'], (req: Request, res: Response) => {
  const context: RequestContext = req.opensergo;
  const labels: readonly string[] = context.trafficLabels;
  res.send(`lane: ${context.trafficLabel ?? 'base'}${labels.length > 1 ? ' (and more)' : ''}`);
});
app.use(governance.errors);
/** Never called: checks that the types are real, not an `any` that would accept anything. */
export function typesAreReal(): void {
  // @ts-expect-error -- rulesFile is a string
  opensergo({ rulesFile: 42 });
}
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
