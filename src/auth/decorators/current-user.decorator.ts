import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Principal } from '../access-tokens';

/** The authenticated caller, set by the global authentication guard. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<{ user: Principal }>().user,
);
