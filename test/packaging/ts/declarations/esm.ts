// Every package's declarations, as an ES module sees them.
export * as core from '@opensergo/core';
export * as express from '@opensergo/express';
export * as koa from '@opensergo/koa';
export * as fastify from '@opensergo/fastify';
export * as redis from '@opensergo/redis';
export * as controlPlane from '@opensergo/control-plane';
