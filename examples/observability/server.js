// Governance you can see, on Express: blocks logged with pino, /metrics for Prometheus, the live
// dashboard at /opensergo, and the IETF RateLimit header fields. From the repository root:
//   npm run build && node examples/observability/server.js
import express from 'express';
import pino from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { fileURLToPath } from 'node:url';
import { opensergo } from '@opensergo/express';
import { collectOpenSergoMetrics, metricsHandler } from '@opensergo/prometheus';
import { dashboard } from '@opensergo/dashboard';

const rulesFile = process.env.OPENSERGO_RULES_FILE ?? fileURLToPath(new URL('../opensergo.yaml', import.meta.url));
const port = Number(process.env.PORT ?? 3000);
// A per-client limit's `clientKey` is the value it counted the request under: an API key or a
// cookie, maybe. It is a secret like them, so it stays out of the log.
const log = pino({ redact: { paths: ['block.clientKey'], censor: (value) => (value === undefined ? undefined : '[redacted]') } });

// The engine's own lines (rules loaded, warnings) go to the same log.
const logger = { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) };
const governance = opensergo({ rulesFile, rateLimitHeaders: true, logger });
// One log line per refused request; the event is not even built while nobody listens.
governance.engine.events.on('request:blocked', (block) => log.warn({ block }, 'request blocked'));
governance.engine.events.on('breaker:state', (change) => log.info({ change }, 'circuit breaker'));

const registry = new Registry();
collectDefaultMetrics({ register: registry });
collectOpenSergoMetrics(governance.engine, { registry });

const app = express();
app.get('/metrics', metricsHandler(registry)); // put both behind your own authentication in production
app.use('/opensergo', dashboard(governance.engine, { path: '/opensergo' }));
app.use(governance);
app.get('/foo', (req, res) => res.send(`foo served (resource ${req.opensergo.resource})\n`));
app.get('/index', (req, res) => res.json({ trafficLabels: req.opensergo.trafficLabels }));
app.use(governance.errors);

const server = app.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  log.info({ port: bound }, `listening: http://127.0.0.1:${bound}/foo, /metrics, /opensergo`);
});
const stop = () => server.close(() => governance.engine.close());
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
