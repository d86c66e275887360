import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../access-tokens';

/** The authenticated caller, set by the global authentication guard. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<{ user: Principal }>().user,
);

/**
 * A request as the global authentication guard leaves it, for the few hot routes that take `@Req()`
 * rather than `@CurrentUser()` and path decorators: every parameter Nest can pipe goes through the
 * global pipes by four promises, which is half the promises of a cached read (BENCHMARKS.md,
 * "Promises per request"). On a `@Public()` route `user` is there when a valid token came along.
 */
export type CallerRequest<Params = unknown> = FastifyRequest<{ Params: Params }> & { user?: Principal };

/** The same on a protected route: the guard let the request through, so `user` is there. */
export type SignedInRequest<Params = unknown> = FastifyRequest<{ Params: Params }> & { user: Principal };
