// The "observed" scenarios: the Prometheus collector registered on a registry and the dashboard
// mounted (not open), to measure what having them costs an admitted request (issue 18).
import { Registry } from 'prom-client';
import { collectOpenSergoMetrics } from '@opensergo/prometheus';
import { dashboard } from '@opensergo/dashboard';

/** Registers the collector on a fresh registry and returns the dashboard's handler, unmounted. */
export function observe(engine) {
  collectOpenSergoMetrics(engine, { registry: new Registry() });
  return dashboard(engine, { path: '/opensergo' });
}
