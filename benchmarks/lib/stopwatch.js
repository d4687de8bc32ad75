// Times the middleware slot under real HTTP load: `start` runs just before the governed
// middleware (or hook), `stop` just after it, on the same request. The time between is what
// that middleware costs the request synchronously, framework dispatch included, measured
// request by request in the server's own process, so what the rest of the machine does
// (which moves throughput by ±10% here) hits only the few microseconds being timed.
// Start times in a WeakMap, not on `req`: a new property on Express's `req` (which Express
// gives its own prototype) cost microseconds and slowed what ran after it.
const started = new WeakMap();
let totalMs = 0;
let count = 0;

/** Marks the start of the slot for this Node request. */
export function start(req) {
  started.set(req, performance.now());
}

/** Ends the slot for this Node request (a request blocked inside the slot never gets here). */
export function stop(req) {
  const at = started.get(req);
  if (at === undefined) return;
  totalMs += performance.now() - at;
  count++;
}

/** Time and count since the last read. */
export function read() {
  const out = { totalMs, count };
  totalMs = 0;
  count = 0;
  return out;
}
