// Issue 13 item 1, "routed => counted": for every spelling of a request target that a framework's
// router hands to a handler, the rule naming that handler's path counts it. For each framework
// and router setting, one app without rules says which handler (if any) each spelling reaches
// (its `x-route` header), then the same app with a rule per route counts: the reached route's
// rule must have counted that request exactly once. The rules never refuse, so routing is the
// framework's alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger, type OpenSergoOptions } from '@opensergo/core';
import { limitedTarget } from '../packages/core/test/helpers/rate-limit-rules.js';
import { ADAPTERS, ROUTE_HEADER, send, withApp, type RouterOptions, type RunningApp } from './harness.js';

/** Route shapes (as the harness writes them) and the target naming each. */
const SHAPES: Readonly<Record<string, string>> = {
  '/foo': '/foo',
  '/users/:id': '/users/{id}',
  '/users/:id/profile': '/users/{id}/profile',
  '/api/*': '/api/**',
  '/kelvin': '/kelvin',
};

const SPELLINGS = [
  '/foo', '/FOO', '/foo/', '//foo', '/%66oo', '/fo%6F', '/foo?x=1', '/foo;x=1', '/foo//', '/Foo/',
  'http://localhost/foo', 'http://localhost/FOO?x=1', 'HEAD /foo', 'HEAD /FOO/',
  '/users/1', '/users/..', '/users/.', '/users/%2e%2e', '/users/', '/users//', '/users/1/', '/USERS/1', '/users/1;x',
  '/users//profile', '/users/../profile', '/users/./profile', '/users/1/profile', '/users/1/PROFILE/', '/users/%2e%2e/profile',
  '/api/..', '/api/x/../..', '/api/', '/api/x', '/API/x', '//api/x', '/api//x', '/api/x;y',
  '/%E2%84%AAelvin', '/kelvin', '/KELVIN', '/kelvin;x=1', 'http://localhost/%E2%84%AAelvin',
];

/** A rule per route shape (under `prefix`), each with a limit no test reaches. */
const rules = (prefix: string): string =>
  Object.values(SHAPES)
    .map((target, i) => limitedTarget(`roomy-${i}`, `${prefix}${target}`, 1_000_000))
    .join('---\n');

/** The spelling under `prefix` (a mount), and its method. */
function request(spelling: string, prefix: string): { method: string; path: string } {
  const [method, target] = spelling.startsWith('HEAD ') ? ['HEAD', spelling.slice(5)] : ['GET', spelling];
  const path = target.startsWith('/') ? `${prefix}${target}` : target.replace('localhost/', `localhost${prefix}/`);
  return { method, path };
}

const passedBy = (app: RunningApp, prefix: string): Map<string, number> =>
  new Map(app.engine.metrics().resources.map((r) => [r.resource.slice(prefix.length), r.passed]));

const ROUTES = Object.keys(SHAPES).map((path) => ({ path }));

/** Which route each spelling reaches with no rule at all. */
async function routedWithoutRules(adapter: (typeof ADAPTERS)[number], router: RouterOptions): Promise<Map<string, string | undefined>> {
  const reached = new Map<string, string | undefined>();
  await withApp(
    adapter,
    { rules: [] },
    ROUTES,
    async ({ port }) => {
      for (const spelling of SPELLINGS) {
        const { method, path } = request(spelling, router.mount ?? '');
        const reply = await send(port, path, { method });
        reached.set(spelling, reply.status === 200 ? (reply.headers[ROUTE_HEADER] as string) : undefined);
      }
    },
    router,
  );
  return reached;
}

interface Variant {
  readonly name: string;
  readonly router: RouterOptions;
  readonly options?: OpenSergoOptions;
}

const COMMON: readonly Variant[] = [
  { name: 'default routing', router: {} },
  { name: 'default routing, caseSensitive: true in our options', router: {}, options: { caseSensitive: true } },
  { name: 'default routing, caseSensitive: false in our options', router: {}, options: { caseSensitive: false } },
  { name: 'mounted at /m', router: { mount: '/m' } },
];

const VARIANTS: Readonly<Record<string, readonly Variant[]>> = {
  express: [...COMMON, { name: 'case sensitive and strict routing', router: { caseSensitive: true, strict: true } }],
  koa: [...COMMON, { name: '@koa/router sensitive and strict', router: { caseSensitive: true, strict: true } }],
  fastify: [
    ...COMMON,
    {
      name: 'caseSensitive false, ignoreTrailingSlash, ignoreDuplicateSlashes, useSemicolonDelimiter',
      router: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, useSemicolonDelimiter: true },
    },
    { name: 'useSemicolonDelimiter false', router: { useSemicolonDelimiter: false } },
  ],
};

for (const adapter of ADAPTERS) {
  describe(`routed => counted on ${adapter.name}`, () => {
    for (const variant of VARIANTS[adapter.name.replace(/\d+$/, '')]!) {
      it(`${variant.name}: every spelling routed to a governed handler is counted by its rule, once`, async () => {
        const prefix = variant.router.mount ?? '';
        const reached = await routedWithoutRules(adapter, variant.router);
        assert.deepEqual(new Set([...reached.values()].filter(Boolean)), new Set(Object.keys(SHAPES)), 'every route is reached by some spelling');
        await withApp(adapter, { rules: rules(prefix), ...variant.options }, ROUTES, async (app) => {
          for (const spelling of SPELLINGS) {
            const route = reached.get(spelling);
            if (route === undefined) continue;
            const { method, path } = request(spelling, prefix);
            const before = passedBy(app, prefix);
            const reply = await send(app.port, path, { method });
            assert.equal(reply.headers[ROUTE_HEADER], route, `${spelling} reaches ${route} with the rules too`);
            const after = passedBy(app, prefix);
            const target = SHAPES[route]!;
            assert.equal(after.get(target)! - before.get(target)!, 1, `${method} ${path} reaches ${route}: ${target} counts it once`);
          }
        }, variant.router);
      });
    }
  });
}

// Issue 13 item 6: the same middleware on the app and on a router decides a request once.
/** Two requests an hour to `/users/{id}` (under `prefix`). */
const twoPerWindow = (prefix = ''): string => limitedTarget('two', `${prefix}/users/{id}`, 2, '1h');

for (const adapter of ADAPTERS) {
  describe(`the same governance mounted twice on ${adapter.name}`, () => {
    for (const mount of [undefined, '/m']) {
      it(`counts a request once${mount ? ', under a mount' : ''}: 2 of a limit of 2 pass, the third is refused`, async () => {
        await withApp(
          adapter,
          { rules: twoPerWindow(mount) },
          ROUTES,
          async (app) => {
            const statuses: number[] = [];
            for (let i = 0; i < 3; i++) statuses.push((await send(app.port, `${mount ?? ''}/users/${i}`)).status);
            assert.deepEqual(statuses, [200, 200, 429]);
            const [users] = app.engine.metrics().resources;
            assert.equal(users?.passed, 2);
            assert.equal(users?.blocked, 1);
          },
          { twice: true, ...(mount ? { mount } : {}) },
        );
      });
    }
  });
}

for (const adapter of ADAPTERS) {
  describe(`case folding on ${adapter.name}`, () => {
    it('follows the router, and says so once when our caseSensitive option disagrees', async () => {
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };
      // Fastify routes case-sensitively by default; Express and @koa/router ignore case.
      const disagreeing = !adapter.name.startsWith('fastify');
      await withApp(adapter, { rules: rules(''), caseSensitive: disagreeing, logger }, ROUTES, async ({ port }) => {
        for (let i = 0; i < 3; i++) await send(port, '/FOO');
        const said = warnings.filter((w) => w.includes('caseSensitive option'));
        assert.equal(said.length, 1, said.join('\n'));
        assert.match(said[0]!, disagreeing ? /routes ignoring case .* caseSensitive option is true/ : /routes case-sensitively .* caseSensitive option is false/);
      });
    });
  });
}

for (const adapter of ADAPTERS) {
  describe(`a URL rewritten before the middleware on ${adapter.name}`, () => {
    it('is matched as rewritten, as the router routes it: /v1/users/1 rewritten to /users/1 counts under /users/{id}', async () => {
      const rewrite = (url: string): string => url.replace(/^\/v1\//, '/');
      await withApp(
        adapter,
        { rules: twoPerWindow() },
        ROUTES,
        async ({ port }) => {
          const replies = [];
          for (let i = 0; i < 3; i++) replies.push(await send(port, `/v1/users/${i}`));
          assert.deepEqual(replies.map((r) => r.status), [200, 200, 429]);
          assert.equal(replies[0]!.headers[ROUTE_HEADER], '/users/:id');
        },
        { rewrite },
      );
    });
  });
}
