import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * This request's hold on its `Idempotency-Key`, handed to the service so it can store the response
 * in the same transaction as the work (`IdempotencyStore.settle`). Absent when the client sent no key.
 */
export class IdempotencyClaim {
  /** Set once the response was written in the handler's transaction. */
  settled = false;

  constructor(
    readonly scope: string,
    readonly key: string,
    readonly token: string,
    /** The status the handler answers with on success, replayed with the body. */
    readonly status: number,
  ) {}
}

export const IDEMPOTENCY_CLAIM = Symbol('idempotencyClaim');

/** The claim the `@Idempotent()` interceptor took for this request, or `undefined` without a key. */
export const ClaimedIdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotencyClaim | undefined =>
    context.switchToHttp().getRequest<{ [IDEMPOTENCY_CLAIM]?: IdempotencyClaim }>()[IDEMPOTENCY_CLAIM],
);
