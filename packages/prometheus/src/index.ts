// @opensergo/prometheus: the engine's metrics as prom-client metrics, and /metrics handlers.
export { collectOpenSergoMetrics } from './collector.js';
export type { Collector, CollectorOptions, RegistryLike } from './collector.js';
export { fastifyMetricsHandler, koaMetricsHandler, metricsHandler } from './handlers.js';
export type { FastifyMetricsReply, KoaMetricsContext, ScrapeSource } from './handlers.js';
export { FAMILIES } from './metric-families.js';
export type { Family, Sample } from './metric-families.js';
