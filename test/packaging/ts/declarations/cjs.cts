// Every package's declarations, as a CommonJS file sees them (dist/cjs/index.d.ts).
import core = require('@opensergo/core');
import express = require('@opensergo/express');
import koa = require('@opensergo/koa');
import fastify = require('@opensergo/fastify');
import redis = require('@opensergo/redis');
import controlPlane = require('@opensergo/control-plane');

export { core, express, koa, fastify, redis, controlPlane };
