// Koa with a typed state, strict: OpenSergoState makes ctx.state.opensergo present.
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { opensergo, type OpenSergoState } from '@opensergo/koa';

interface AppState extends OpenSergoState {
  user?: string;
}
const app = new Koa<AppState>();
app.use(opensergo({ rulesFile: './opensergo.yaml', app: 'my-app' }));
app.use((ctx) => {
  ctx.body = `lane: ${ctx.state.opensergo.trafficLabel ?? 'base'}`;
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
