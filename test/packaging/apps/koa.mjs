import Koa from 'koa';
import { opensergo } from '@opensergo/koa';

const app = new Koa();
app.use(opensergo({ rulesFile: './opensergo.yaml', app: 'my-app' }));
app.use((ctx) => {
  ctx.body = `lane: ${ctx.state.opensergo.trafficLabel ?? 'base'}`;
});
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
