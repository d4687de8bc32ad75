// The request context is kept only once something needs it (issue 15, item 1): until then
// adapters call straight through, and an early currentContext() says so once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { it } from 'node:test';
import { currentContext, runRequest, type RequestContext } from '../src/index.js';

const context: RequestContext = { resource: '/x', trafficLabel: 'gray', trafficLabels: ['gray'] };
const request = { headers: {}, emit: () => true };

it('is not kept until asked for; the first early currentContext() warns once and keeps it from then on', async () => {
  assert.equal(runRequest(context, request, () => 'ran'), 'ran');
  let seen: RequestContext | undefined | null = null;
  runRequest(context, request, () => void (seen = undefined));
  const warning = once(process, 'warning');
  runRequest(context, request, () => void (seen = currentContext()));
  assert.equal(seen, undefined, 'a request that started before is not in its context');
  const [emitted] = (await warning) as [Error & { code?: string }];
  assert.equal(emitted.code, 'OPENSERGO_REQUEST_CONTEXT');
  await runRequest(context, request, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    seen = currentContext();
  });
  assert.equal(seen, context, 'kept from then on');
});
