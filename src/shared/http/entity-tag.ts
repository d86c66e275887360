import type { FastifyReply, FastifyRequest } from 'fastify';

/*
 * Entity tags (RFC 9110 §8.8.3). A route's body carries the tag of the version it was built from
 * as a `JsonBody` (json-body.ts), which sends it as `ETag`; `answerRevalidation` answers revalidations.
 */

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
 * The payload to send once revalidation is answered: `If-None-Match` naming the response's current
 * tag (weak comparison) turns it into a `304` with no body, for any route that sends an `ETag`.
 * Called from the app's one `onSend` hook (create-http-app.ts), so it runs on every response.
 */
export function answerRevalidation(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  const ifNoneMatch = request.headers['if-none-match'];
  const etag =
    ifNoneMatch && reply.statusCode === 200 && (request.method === 'GET' || request.method === 'HEAD') && reply.getHeader('etag');
  if (typeof etag !== 'string' || !matchesAny(ifNoneMatch!, etag)) return payload;
  void reply.code(304).removeHeader('content-type').removeHeader('content-length');
  return null;
}

function matchesAny(ifNoneMatch: string, etag: string): boolean {
  const tags = parseEntityTags(ifNoneMatch);
  const opaque = etag.replace(/^W\//, '');
  return tags === '*' || tags.some(({ tag }) => tag === opaque);
}
