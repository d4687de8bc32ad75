#!/usr/bin/env node
// Whether two requests in flight at the same point share V8's hidden class (map), on a bare
// Node server and under Express 5, and which of Express's own steps gives each request a map
// of its own. Where requests share a map, a middleware's reads of `req` and `res` hit V8's
// inline caches (a few instructions); where each has its own, every read goes the slow way
// (~280 instructions under callgrind, docs/benchmarks.md).
//
//   node --allow-natives-syntax benchmarks/hidden-classes.js
//
// Each row replays some of the writes Express 5's `app.handle` and router make before the
// first middleware, on a plain `node:http` server, then compares the maps of two requests held
// at that point (after 200 pairs, so that V8's field generalisations have settled).
import { request, Agent, createServer } from 'node:http';
import express from 'express';

const app = express();
/** What Express 5 does to a request and response before the first middleware, step by step. */
const STEPS = {
  'X-Powered-By': (req, res) => res.setHeader('X-Powered-By', 'Express'),
  'req.res / res.req': (req, res) => {
    req.res = res;
    res.req = req;
  },
  'prototypes swapped': (req, res) => {
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
  },
  'res.locals': (req, res) => {
    res.locals ??= Object.create(null);
  },
  'req.next': (req) => {
    req.next = function next() {};
  },
};

const ROWS = [
  ['bare Node', []],
  ['res.locals and req.next, prototypes kept', ['res.locals', 'req.next']],
  ['prototypes swapped', ['X-Powered-By', 'req.res / res.req', 'prototypes swapped']],
  ['prototypes swapped, then res.locals', ['X-Powered-By', 'req.res / res.req', 'prototypes swapped', 'res.locals']],
  ['prototypes swapped, then res.locals and req.next', ['X-Powered-By', 'req.res / res.req', 'prototypes swapped', 'res.locals', 'req.next']],
];

const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');

/** Serves `handle`, sends 200 pairs of simultaneous requests; resolves with the last pair's verdict. */
async function compare(handle) {
  let held = [];
  let verdict;
  const server = createServer((req, res) => {
    handle(req, res, () => {
      held.push([req, res]);
      if (held.length < 2) return;
      const [[a, ra], [b, rb]] = held;
      verdict = { req: sameMap(a, b), res: sameMap(ra, rb) };
      held = [];
      ra.end('x');
      rb.end('x');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const agent = new Agent({ keepAlive: true });
  const one = () =>
    new Promise((resolve, reject) =>
      request({ host: '127.0.0.1', port, path: '/b', agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end(),
    );
  for (let i = 0; i < 200; i++) await Promise.all([one(), one()]);
  agent.destroy();
  server.close();
  return verdict;
}

const rows = [];
for (const [name, steps] of ROWS) {
  const verdict = await compare((req, res, then) => {
    for (const step of steps) STEPS[step](req, res);
    then();
  });
  rows.push([name, verdict]);
}
// Express itself: the first middleware of an app.
{
  const real = express();
  const waiting = new WeakMap(); // not a property of the request: that would change its map
  real.use((req) => waiting.get(req)());
  const verdict = await compare((req, res, then) => {
    waiting.set(req, then);
    real(req, res);
  });
  rows.push(['Express 5, at its first middleware', verdict]);
}
console.log('| requests served | two requests share a map | two responses share a map |');
console.log('|---|---|---|');
for (const [name, v] of rows) console.log(`| ${name} | ${v.req ? 'yes' : 'no'} | ${v.res ? 'yes' : 'no'} |`);
