// @opensergo/dashboard: a live page of one instance, served by a handler you mount.
export { dashboard } from './dashboard.js';
export type { DashboardHandler, DashboardOptions } from './dashboard.js';
export { fastifyDashboard, koaDashboard } from './frameworks.js';
export type { FastifyDashboardHost, KoaDashboardContext } from './frameworks.js';
