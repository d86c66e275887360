// Floor A for issue 11: the least NestJS-on-Fastify code doing a cached product read's work — one
// Redis MGET (value + version) and the stored string sent as it is. It uses node-redis
// (`@redis/client`), the client the app's cache uses, so the floor
// differs from Orderly only in what Orderly adds on top. Plain JS: decorators are applied by hand.
import { Controller, Get, Header, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';

const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
const prefix = `orderly-floor-${process.pid}`;
await redis.mSet([`${prefix}:value`, process.env.FLOOR_BODY ?? '{}', `${prefix}:version`, 'v1']);

class ProductsController {
  async get(id) {
    const [value, version] = await redis.mGet([`${prefix}:value`, `${prefix}:version`]);
    return version && id ? value : '{}';
  }
}
const get = Object.getOwnPropertyDescriptor(ProductsController.prototype, 'get');
Param('id')(ProductsController.prototype, 'get', 0);
Header('content-type', 'application/json; charset=utf-8')(ProductsController.prototype, 'get', get);
Get('api/v1/products/:id')(ProductsController.prototype, 'get', get);
Controller()(ProductsController);

class FloorModule {}
Module({ controllers: [ProductsController] })(FloorModule);

const app = await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: false });
await app.listen(Number(process.env.PORT), '127.0.0.1');
// Exit normally on SIGTERM so `node --cpu-prof` writes its profile (bench/profile/hot-reads.mjs floors).
process.once('SIGTERM', () => process.exit(0));
