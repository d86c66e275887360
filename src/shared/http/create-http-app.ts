import { DynamicModule, INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Environment } from '../config/environment';
import { createRootLogger, PinoLoggerService, requestContext } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { CounterStore } from '../rate-limit/counter-store';
import { registerClientRateLimit } from './client-rate-limit';
import { answerRevalidation } from './entity-tag';
import { sendJsonBodies } from './json-body';
import { securityHeaders } from './security-headers';
import { BEARER_SCHEME, WEBHOOK_SIGNATURE_SCHEME } from './api-responses';
import { answerFrameworkError } from './framework-errors';
import { completeOpenApiDocument } from './openapi-conventions';
import { fastifyTrustProxy } from './trust-proxy';

const BODY_LIMIT_BYTES = 100 * 1024;
const CALLER_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Keeps the caller's `X-Request-Id` when it is a sane token (it ends up in logs), else makes one. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Builds the HTTP application around a root module: Fastify, security headers, CORS, body limit,
 * request ids, the per-IP limit, the `/api/v1` prefix and OpenAPI. Shared by `main.ts` and the
 * end-to-end tests, so tests exercise exactly what production serves.
 */
export async function createHttpApp(rootModule: DynamicModule, env: Environment): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(env.trustProxy),
    genReqId: requestIdOf,
    requestIdHeader: false,
    // A request arriving on a kept-alive connection while the server drains is served (the pools
    // close only after HTTP has drained, and it is answered with `Connection: close`), not refused.
    return503OnClosing: false,
    frameworkErrors: answerFrameworkError,
  });
  const logger = createRootLogger(env);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger: new PinoLoggerService(logger),
  });
  const fastify = app.getHttpAdapter().getInstance();

  const headers = securityHeaders();
  // Everything after this hook runs inside the request's async context, so any log line carries its id.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith('/api/') ? headers.api : headers.documents).header('x-request-id', request.id);
    requestContext.run(request.id, done);
  });
  const metrics = app.get(Metrics);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.recordRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    if (logger.isLevelEnabled('info') && !request.url.startsWith('/health/')) {
      logger.info(
        { requestId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request completed',
      );
    }
    done();
  });
  registerClientRateLimit(fastify, app.get(CounterStore), env.rateLimitPerIp);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    // A response computed for a signed-in caller must never be stored by a shared cache; token
    // responses (no caller yet) say so through `@NoStore()` on their routes.
    if ((request as { user?: unknown }).user) void reply.header('cache-control', 'no-store');
    // Every 429 says when to come back, whichever layer refused (CONTRACT §3).
    if (reply.statusCode === 429 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '1');
    // One hook for all of it: each hook Fastify runs per response costs a step of its hook runner.
    done(null, answerRevalidation(request, reply, payload));
  });
  sendJsonBodies(fastify);
  if (env.corsOrigins.length > 0) app.enableCors({ origin: env.corsOrigins, credentials: false });

  applyApiPrefix(app);
  // Built on the first visit to /docs or /docs-json, not at start-up: only developers and generators read it.
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** API routes live under `/api/v1`; health and metrics stay where probes and scrapers look. */
export function applyApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
}

/**
 * The OpenAPI document of the app's routes: what `/docs-json` serves and what `npm run openapi`
 * writes (from an app created in preview mode: no provider or controller is instantiated, so this
 * must read only metadata, never `app.get(...)`). The one place the document is built.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Orderly API')
      .setDescription('Accounts, catalogue, orders with stock, payments and e-mail.')
      .setVersion('1')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Access token from /auth/login, /auth/register or /auth/refresh. A JWS following RFC8725 (JWT best current practices): ' +
            'HS256 only (`alg: none` and every other algorithm refused), issuer and audience pinned and checked, short-lived ' +
            '(JWT_ACCESS_TTL, 15 minutes by default); renew it with the refresh token.',
        },
        BEARER_SCHEME,
      )
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: 'X-Signature',
          description: "The payment provider's signature: `sha256=<hex HMAC-SHA256 of the raw body with PAYMENT_WEBHOOK_SECRET>`.",
        },
        WEBHOOK_SIGNATURE_SCHEME,
      )
      // Mirrors the global authentication guard: every route needs a token unless `@Public()` says otherwise.
      .addSecurityRequirements(BEARER_SCHEME)
      .build(),
  );
  return completeOpenApiDocument(document);
}
