import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * This request's `Idempotency-Key`, handed to the service so that the key is claimed and the
 * response stored inside the transaction that does the work (`IdempotencyStore.transaction`).
 * Absent when the client sent no key.
 */
export class IdempotencyClaim {
  /** Set once the response was stored in the handler's transaction. */
  recorded = false;

  constructor(
    readonly scope: string,
    readonly key: string,
    readonly requestHash: string,
    /** The status the handler answers with on success, replayed with the body. */
    readonly status: number,
  ) {}
}

export const IDEMPOTENCY_CLAIM = Symbol('idempotencyClaim');

/** The key the `@Idempotent()` interceptor accepted for this request, or `undefined` without one. */
export const ClaimedIdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotencyClaim | undefined =>
    context.switchToHttp().getRequest<{ [IDEMPOTENCY_CLAIM]?: IdempotencyClaim }>()[IDEMPOTENCY_CLAIM],
);
