import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { PROBLEM_SCHEMA, PROBLEM_SCHEMA_NAME, problemContent, RESPONSE_HEADERS, responseHeaders } from './api-responses';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The statuses every route of a kind can answer, whichever handler it has (CONTRACT §3). */
const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: unknown fields, wrong types, values out of bounds or text PostgreSQL cannot store; `errors` names each field',
  401: 'Missing, expired or otherwise invalid bearer access token',
  404: 'Absent, or not visible to the caller',
  413: 'Request body over 100 kB',
  414: 'A path segment is too long',
  415: 'Request body is not JSON',
  429: 'Rate limited; retry after `Retry-After` seconds',
  500: 'A bug on our side; the detail says nothing more',
  503: 'PostgreSQL or Redis dropped or refused a connection, or the process is shutting down; retry after `Retry-After` seconds (with the same Idempotency-Key, which is safe)',
};

const isReference = (value: unknown): value is ReferenceObject => typeof (value as ReferenceObject | undefined)?.$ref === 'string';

/**
 * Completes the generated document with what holds for every route by construction, read from
 * the document itself so a new route gets it without declaring it:
 * - the one problem+json schema, and every error response pointing at it;
 * - 401 on every operation whose security has no anonymous alternative (the global guard asks a
 *   token of every route not marked `@Public()`);
 * - 400 where there is a body, a query or a path parameter (the global validation pipe); 404 and
 *   414 (Fastify's router) where there is a path parameter; 413 and 415 where there is a body
 *   (Fastify's body parser);
 * - 429 with `Retry-After`, and `RateLimit-*` on every response, for routes the per-IP limit
 *   counts (everything under `/api/`, see client-rate-limit.ts); 500 everywhere; 503 with
 *   `Retry-After` everywhere (a dependency fault, or a request reaching a process that is closing);
 * - `Idempotent-Replayed` on the 2xx of operations that take `Idempotency-Key`;
 * - `additionalProperties: false` on request bodies (the global pipe refuses unknown fields).
 * It never removes or rewrites a response a route declared, other than giving an error its body
 * and a 503 its `Retry-After`.
 */
export function completeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, [PROBLEM_SCHEMA_NAME]: PROBLEM_SCHEMA };
  components.headers = { ...components.headers, ...RESPONSE_HEADERS };
  const closed = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) completeOperation(document, path, operation, closed);
    }
  }
  return document;
}

function completeOperation(document: OpenAPIObject, path: string, operation: OperationObject, closed: Set<string>): void {
  const parameters = (operation.parameters ?? []).filter((parameter): parameter is ParameterObject => !isReference(parameter));
  const hasBody = operation.requestBody !== undefined;
  const hasPathParameter = parameters.some((parameter) => parameter.in === 'path');
  const hasInput = hasBody || hasPathParameter || parameters.some((parameter) => parameter.in === 'query');
  const security = operation.security ?? document.security ?? [];
  const needsToken = security.length > 0 && !security.some((requirement) => Object.keys(requirement).length === 0);
  const counted = path.startsWith('/api/');
  const responses = operation.responses;

  const declare = (status: number, headers?: Record<string, ReferenceObject>) => {
    responses[status] ??= { description: DESCRIPTIONS[status], ...(headers && { headers }) };
  };
  if (hasInput) declare(400);
  if (needsToken) declare(401);
  if (hasPathParameter) {
    declare(404);
    declare(414);
  }
  if (hasBody) {
    declare(413);
    declare(415);
  }
  if (counted) declare(429, responseHeaders('Retry-After'));
  declare(500);
  declare(503);

  const idempotent = parameters.some((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'idempotency-key');
  for (const [status, response] of Object.entries(responses) as [string, ResponseObject][]) {
    if (Number(status) >= 400) response.content = problemContent();
    // The exception filter gives every 503 a `Retry-After`, whichever route declared it.
    if (status === '503') response.headers = { ...response.headers, ...responseHeaders('Retry-After') };
    if (idempotent && status.startsWith('2')) response.headers = { ...response.headers, ...responseHeaders('Idempotent-Replayed') };
    if (counted)
      response.headers = { ...response.headers, ...responseHeaders('RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset') };
  }

  if (hasBody && !isReference(operation.requestBody)) {
    for (const media of Object.values(operation.requestBody!.content)) {
      if (media.schema) closeSchema(document, media.schema, closed);
    }
  }
}

/** `additionalProperties: false` on an object schema and every object schema it nests. */
function closeSchema(document: OpenAPIObject, schema: SchemaObject | ReferenceObject, closed: Set<string>): void {
  if (isReference(schema)) {
    const name = schema.$ref.split('/').at(-1)!;
    const target = document.components?.schemas?.[name];
    if (closed.has(name) || !target) return;
    closed.add(name);
    closeSchema(document, target, closed);
    return;
  }
  if (schema.type === 'object' || schema.properties) schema.additionalProperties = false;
  for (const child of [...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : []), ...(schema.allOf ?? [])]) {
    closeSchema(document, child, closed);
  }
}
