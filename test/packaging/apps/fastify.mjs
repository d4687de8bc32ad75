import Fastify from 'fastify';
import opensergo from '@opensergo/fastify';

const app = Fastify();
await app.register(opensergo, { rulesFile: './opensergo.yaml', app: 'my-app' });
const lane = async (request) => `lane: ${request.opensergo.trafficLabel ?? 'base'}`;
app.get('/foo', lane);
app.get('/index', lane);
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));
