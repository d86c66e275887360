import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Entity tags (RFC 9110 §8.8.3). A service marks a response body with the tag of the exact
 * version it was built from; `conditionalResponses` turns the mark into an `ETag` header and a
 * matching `If-None-Match` into a `304`, for any route that tags.
 */
const ENTITY_TAG = Symbol('entityTag');

export type Tagged<T extends object> = T & { [ENTITY_TAG]?: string };

/** Marks `body` with a strong tag for `version` (a symbol key: it is never serialised). */
export function tagged<T extends object>(body: T, version: number | string): Tagged<T> {
  return Object.assign(body, { [ENTITY_TAG]: `"${version}"` });
}

export function entityTagOf(body: unknown): string | undefined {
  return body && typeof body === 'object' ? (body as Tagged<object>)[ENTITY_TAG] : undefined;
}

/** The tags of an `If-Match` / `If-None-Match` list; `'*'` for "any". Malformed members are dropped. */
export function parseEntityTags(header: string): '*' | { tag: string; weak: boolean }[] {
  if (header.trim() === '*') return '*';
  const tags: { tag: string; weak: boolean }[] = [];
  for (const match of header.matchAll(/(W\/)?("[\x21\x23-\x7e\x80-\xff]*")/g)) tags.push({ tag: match[2], weak: match[1] !== undefined });
  return tags;
}

/**
 * The versions an `If-Match` header allows (strong comparison: weak tags never match), or `'*'`.
 * An empty list matches nothing, so a malformed header fails the precondition instead of being ignored.
 */
export function versionsAllowedByIfMatch(header: string): '*' | number[] {
  const tags = parseEntityTags(header);
  if (tags === '*') return tags;
  return tags.filter(({ weak, tag }) => !weak && /^"\d{1,9}"$/.test(tag)).map(({ tag }) => Number(tag.slice(1, -1)));
}

/**
 * Conditional responses for every route, in two Fastify hooks rather than an interceptor per
 * route: a body marked with `tagged()` sends its `ETag` (read before serialisation, while the mark
 * is still there), and `If-None-Match` naming the response's current tag (weak comparison)
 * answers `304` with no body.
 */
export function conditionalResponses(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (_request, reply, payload, done) => {
    const tag = entityTagOf(payload);
    if (tag) void reply.header('etag', tag);
    done(null, payload);
  });
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const ifNoneMatch = request.headers['if-none-match'];
    if (!ifNoneMatch || reply.statusCode !== 200 || (request.method !== 'GET' && request.method !== 'HEAD')) return payload;
    const etag = reply.getHeader('etag');
    if (typeof etag !== 'string') return payload;
    const tags = parseEntityTags(ifNoneMatch);
    const opaque = etag.replace(/^W\//, '');
    if (tags !== '*' && !tags.some(({ tag }) => tag === opaque)) return payload;
    void reply.code(304).removeHeader('content-type').removeHeader('content-length');
    return null;
  });
}
