// @opensergo/client: OpenSergo for the calls a service makes. An undici Dispatcher and a
// node:http Agent over one call path (propagate → route → send); discovery sources plug in.
export { createDispatcher } from './dispatcher.js';
export type { DispatcherOptions } from './dispatcher.js';
export { createAgent } from './agent.js';
export type { AgentOptions, OpenSergoHttpAgent } from './agent.js';
export { staticDiscovery } from './static-discovery.js';
export type { InstanceOption } from './static-discovery.js';
export type { ClientOptions } from './options.js';
export type { OutlierOptions } from './routing/outlier.js';
export type { Discovery, Instance } from '@opensergo/core';
