// Reads a V8 .cpuprofile and says where time went, per request.

const OURS = /\/packages\/[^/]+\/dist\//;
const STARTUP = new Set(['createEngine', 'plugin', 'opensergo']);
// The frameworks' "call the rest of the chain" functions (fastify's hook runner and
// router's `next`, koa-compose's `dispatch`): time below them is the framework's and the
// handler's, even when our middleware is further up the stack.
const CONTINUATION = new Set(['next', 'dispatch']);

function frameName({ callFrame: f }) {
  const where = f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/packages\//, '@opensergo/').replace(/^file:\/\//, '');
  return `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
}

/**
 * OpenSergo frames that own a sample: walking up from the sampled frame, the OpenSergo frames
 * met before the framework's continuation (`next`/`dispatch`). Empty when the sample is the
 * framework's or the handler's, or start-up.
 */
function owners(leaf, parent) {
  const found = [];
  for (let n = leaf; n; n = parent.get(n.id)) {
    const f = n.callFrame;
    if (OURS.test(f.url)) {
      if (STARTUP.has(f.functionName)) return [];
      found.push(n);
    } else if (CONTINUATION.has(f.functionName) && f.url.includes('node_modules')) {
      return found;
    }
  }
  return found;
}

/**
 * Where a profile's time went, per request: self time per function for the whole process,
 * OpenSergo's own share of the request path (its frames and what they call, but not the
 * framework's continuation nor start-up), split by the outermost OpenSergo frame and, inclusively,
 * by every OpenSergo function.
 * @param {{ nodes: object[], samples: number[], timeDeltas: number[] }} profile
 * @param {number} requests requests served while profiling
 */
export function attribute(profile, requests) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n);
  const self = new Map();
  const outer = new Map();
  const inclusive = new Map();
  const add = (map, key, micros) => map.set(key, (map.get(key) ?? 0) + micros);
  let total = 0;
  let ours = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id);
    total += micros;
    add(self, frameName(leaf), micros);
    const frames = owners(leaf, parent);
    if (!frames.length) return;
    ours += micros;
    add(outer, frameName(frames.at(-1)), micros);
    for (const name of new Set(frames.map(frameName))) add(inclusive, name, micros);
  });
  const perRequest = (map) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, micros]) => ({ name, microsPerRequest: micros / requests }));
  return {
    totalMs: total / 1000,
    oursMicrosPerRequest: ours / requests,
    outer: perRequest(outer),
    inclusive: perRequest(inclusive),
    self: perRequest(self),
  };
}
