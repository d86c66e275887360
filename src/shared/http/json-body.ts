import type { FastifyInstance } from 'fastify';

/**
 * A response body that is JSON text already — typically straight from the cache — and is sent as
 * it is: never parsed, never serialised again. `T` is the shape the text holds; it types the route
 * (and so the OpenAPI document) as if the object itself were returned. `entityTag`, when given, is
 * the strong ETag of the exact version the text was built from.
 */
export class JsonBody<T> {
  declare private readonly shape: T;

  constructor(
    readonly text: string,
    readonly entityTag?: string,
  ) {}

  static of<T>(value: T, version?: number | string): JsonBody<T> {
    return new JsonBody<T>(JSON.stringify(value), version === undefined ? undefined : `"${version}"`);
  }

  /** Anything that serialises it by other means (an interceptor storing responses, a test) gets the value, not this wrapper. */
  toJSON(): T {
    return JSON.parse(this.text) as T;
  }
}

// Nest 12 asks of every handler result whether it is a plain object wrapping a stream
// (`pickStreamingBody`). For an instance of a class the answer compares the source text of its
// constructor with `Object`'s (`Function.prototype.toString`, twice): ~0.3 µs on every cached read.
// A prototype without a `constructor` of its own is "not plain" at the first check, which is the
// right answer; `instanceof` follows the prototype chain, not this property.
Reflect.deleteProperty(JsonBody.prototype, 'constructor');

const textOf = (body: JsonBody<unknown>) => body.text;

/**
 * Sends a {@link JsonBody} as its text (Fastify has already set `application/json`) with its
 * `ETag`. Read before serialisation, the one point where the handler's return value is still in
 * hand; any other value is serialised as usual.
 */
export function sendJsonBodies(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (_request, reply, payload, done) => {
    if (payload instanceof JsonBody) {
      if (payload.entityTag) void reply.header('etag', payload.entityTag);
      void reply.serializer(textOf);
    }
    done(null, payload);
  });
}
