// Express setups: bare, with @opensergo/express, with express-rate-limit.
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { opensergo } from '@opensergo/express';
import { ROUTE } from '../lib/rules.js';
import { listen } from '../lib/listen.js';

/**
 * Starts the Express app of `scenario` on a free loopback port.
 * @param {{ setup: string, limit?: number }} scenario
 * @param {{ rules?: string, logger: object }} options rules as YAML text for `opensergo`
 * @returns {Promise<{ port: number, close(): Promise<void> }>}
 */
export async function start(scenario, { rules, logger }) {
  const app = express();
  if (scenario.setup === 'opensergo') app.use(opensergo({ rules, logger }));
  if (scenario.setup === 'peer') app.use(rateLimit({ windowMs: 1000, limit: scenario.limit }));
  app.get(ROUTE, (_req, res) => {
    res.json({ hello: 'world' });
  });
  return listen(app.listen(0, '127.0.0.1'));
}
