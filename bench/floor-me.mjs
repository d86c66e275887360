// Floor B for issue 11: the least NestJS-on-Fastify code doing `GET /users/me`'s work — a cached
// `fast-jwt` HS256 verify (as the app configures it) and one Redis GET through node-redis
// (`@redis/client`, the client under the app's Keyv store), the stored string sent as it is.
import { Controller, Get, Header, Headers, Module, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import { createVerifier } from 'fast-jwt';

const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
const prefix = `orderly-floor-${process.pid}`;
const verify = createVerifier({
  key: process.env.JWT_SECRET,
  algorithms: ['HS256'],
  allowedIss: 'orderly',
  allowedAud: 'orderly-api',
  requiredClaims: ['exp', 'sub'],
  cache: 10_000,
});

class UsersController {
  async me(authorization) {
    let sub;
    try {
      sub = verify(authorization.slice(7)).sub;
    } catch {
      throw new UnauthorizedException();
    }
    const profile = await redis.get(`${prefix}:profile:${sub}`);
    if (profile === null) {
      await redis.set(`${prefix}:profile:${sub}`, process.env.FLOOR_BODY ?? '{}');
      return process.env.FLOOR_BODY ?? '{}';
    }
    return profile;
  }
}
const me = Object.getOwnPropertyDescriptor(UsersController.prototype, 'me');
Headers('authorization')(UsersController.prototype, 'me', 0);
Header('content-type', 'application/json; charset=utf-8')(UsersController.prototype, 'me', me);
Get('api/v1/users/me')(UsersController.prototype, 'me', me);
Controller()(UsersController);

class FloorModule {}
Module({ controllers: [UsersController] })(FloorModule);

const app = await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: false });
await app.listen(Number(process.env.PORT), '127.0.0.1');
// Exit normally on SIGTERM so `node --cpu-prof` writes its profile (bench/profile/hot-reads.mjs floors).
process.once('SIGTERM', () => process.exit(0));
