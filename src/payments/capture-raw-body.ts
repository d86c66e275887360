import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';

export const WEBHOOK_PATH = '/api/v1/payments/webhook';
const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * The webhook's signature covers the exact bytes sent, so for that one route the body is kept as
 * received before JSON parsing (no other route pays for a copy).
 */
export function captureWebhookRawBody(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', async (request: FastifyRequest & { rawBody?: Buffer }, _reply, payload) => {
    if (request.url !== WEBHOOK_PATH) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > BODY_LIMIT_BYTES) throw Object.assign(new Error('Request body is too large'), { statusCode: 413 });
      chunks.push(chunk as Buffer);
    }
    request.rawBody = Buffer.concat(chunks);
    return Readable.from([request.rawBody]);
  });
}
