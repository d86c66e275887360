import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';

const BODY_LIMIT_BYTES = 100 * 1024;

/** The Fastify route config `@RawBody()` sets; the hook below reads it after routing. */
interface RawBodyRouteConfig {
  keepRawBody?: boolean;
}

/**
 * Marks a route whose handler (or guard) needs the exact bytes sent — a signature covers them.
 * Matching by route, not by `request.url`, keeps it working whatever the query string.
 */
export const RawBody = (): MethodDecorator => RouteConfig({ keepRawBody: true } satisfies RawBodyRouteConfig);

function wantsRawBody(request: FastifyRequest): boolean {
  return (request.routeOptions.config as RawBodyRouteConfig | undefined)?.keepRawBody === true;
}

async function keepRawBody(request: FastifyRequest & { rawBody?: Buffer }, payload: AsyncIterable<unknown>): Promise<Readable> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT_BYTES) throw Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    chunks.push(chunk as Buffer);
  }
  request.rawBody = Buffer.concat(chunks);
  return Readable.from([request.rawBody]);
}

/**
 * For routes marked `@RawBody()`, keeps the body as received before JSON parsing in
 * `request.rawBody` (no other route pays for a copy). A callback hook, not an async one: every
 * request passes through it, and the others should not pay for a promise either.
 */
export function captureRawBody(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (!wantsRawBody(request)) return done(null, payload);
    keepRawBody(request, payload).then(
      (kept) => done(null, kept),
      (error: Error) => done(error),
    );
  });
}
