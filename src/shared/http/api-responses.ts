import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { HeaderObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { PROBLEM_LIMITS } from './problem-details.filter';

/**
 * The OpenAPI side of the HTTP conventions (CONTRACT §3), one declaration per kind of route. The
 * decorators here are composed into the decorators that *make* a route that kind — `@Public()`,
 * `@Roles()`, `@Idempotent()`, `@SignedBy()` — so documenting a route is not a separate step
 * anyone can forget. What holds for every route (400 where there is input, 401 where a token is
 * needed, 429, 500, the rate-limit headers, closed request bodies) is added once, from the
 * document itself, by `completeOpenApiDocument` (openapi-conventions.ts).
 */

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const PROBLEM_SCHEMA_NAME = 'Problem';
export const BEARER_SCHEME = 'bearer';
export const WEBHOOK_SIGNATURE_SCHEME = 'webhookSignature';

const INT32_MAX = 2_147_483_647;

/** RFC 9457 problem details, exactly as `ProblemDetailsFilter`, the rate limit and Fastify's framework errors write them. */
export const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details. `errors` is present on validation failures (400) and names each refused field.',
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', format: 'uri-reference', maxLength: 2048, example: 'about:blank' },
    title: { type: 'string', maxLength: 100, example: 'Bad Request', description: 'The reason phrase of `status`' },
    status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599, example: 400 },
    // The bounds are `problem()`'s (problem-details.filter.ts): longer text is cut there, ending in `…`,
    // and field errors beyond the last are dropped — a refused unknown field is named as the client sent it.
    detail: { type: 'string', maxLength: PROBLEM_LIMITS.detail, example: 'The request is invalid.' },
    errors: {
      type: 'array',
      maxItems: PROBLEM_LIMITS.errors,
      description: `At most ${PROBLEM_LIMITS.errors} field errors are listed`,
      items: {
        type: 'object',
        required: ['field', 'message'],
        additionalProperties: false,
        properties: {
          field: { type: 'string', maxLength: PROBLEM_LIMITS.field, description: 'Dotted path of the field, e.g. `items.0.quantity`' },
          message: { type: 'string', maxLength: PROBLEM_LIMITS.message },
        },
      },
    },
  },
};

export const problemContent = () => ({ [PROBLEM_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA_NAME}` } } });

const integerHeader = (description: string, minimum: number, maximum: number): HeaderObject => ({
  description,
  schema: { type: 'integer', format: 'int32', minimum, maximum },
});

/** Response headers, registered once under `components.headers` and referenced by name. */
export const RESPONSE_HEADERS = {
  'Retry-After': integerHeader('Seconds to wait before retrying', 1, 86_400),
  'RateLimit-Limit': integerHeader('Requests per second this client may make (all API processes together)', 1, INT32_MAX),
  'RateLimit-Remaining': integerHeader('Requests left in the current window', 0, INT32_MAX),
  'RateLimit-Reset': integerHeader('Seconds until the window resets', 0, 1),
  'Idempotent-Replayed': {
    description: 'Present on a replay of the first response to this Idempotency-Key; nothing was done again',
    schema: { type: 'string', enum: ['true'] },
  },
  ETag: {
    description: 'The version of the product this body shows; send it as If-None-Match or If-Match',
    schema: { type: 'string', maxLength: 64, pattern: '^"\\d+"$' },
  },
} satisfies Record<string, HeaderObject>;

export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

export const headerRef = (name: ResponseHeaderName): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

/** `{ Name: $ref }` for a response's `headers`. */
export const responseHeaders = (...names: ResponseHeaderName[]): Record<string, ReferenceObject> =>
  Object.fromEntries(names.map((name) => [name, headerRef(name)]));

/** An entity-tag precondition request header (`If-None-Match`, `If-Match`), optional, as long as the server reads. */
export const ApiPreconditionHeader = (name: 'If-None-Match' | 'If-Match', description: string) =>
  ApiHeader({ name, required: false, description, schema: { type: 'string', maxLength: 1024 } });

/** An error response: always problem+json with the one shared schema. */
export const ApiProblemResponse = (status: number, description: string, headers?: Record<string, ReferenceObject>) =>
  ApiResponse({ status, description, content: problemContent(), ...(headers && { headers }) });

/**
 * Public routes: no token needed, but one is read when sent (admins see more), so the security
 * requirement is "anonymous or bearer" and no 401 is documented.
 */
export const ApiPublic = () => applyDecorators(ApiSecurity({}), ApiSecurity(BEARER_SCHEME));

/** Admin routes: a customer's token is a 403 (the 401 comes with every route that needs a token). */
export const ApiAdmin = () => ApiProblemResponse(403, 'Signed in, but the role does not allow this');

/**
 * Routes authenticated by a signature instead of a user token: the header is an `apiKey` scheme
 * (so generators and linters know it is a credential), and a missing or bad one is a 401.
 */
export const ApiSignedBy = (scheme: string) => applyDecorators(ApiSecurity(scheme), ApiProblemResponse(401, 'Missing or bad signature'));

/** `Idempotency-Key` routes: 409 while the first request runs, 422 for another body under the same key. */
export const ApiIdempotent = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Unique per intended operation; a retry with the same key and body replays the first response (kept 24 h)',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    }),
    ApiProblemResponse(409, 'A request with this Idempotency-Key is still in flight (see Retry-After)', responseHeaders('Retry-After')),
    ApiProblemResponse(422, 'This Idempotency-Key was used with a different body'),
  );
