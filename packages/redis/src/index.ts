// @opensergo/redis: the shared store for OpenSergo `limitMode: Global` and `GlobalToLocal`.
export { createRedisStore } from './redis-store.js';
export type { RedisStore } from './redis-store.js';
export type { RedisConnection, RedisStoreOptions } from './options.js';
export type { RedisClient } from './run-script.js';
