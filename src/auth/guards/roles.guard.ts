import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from '../../users/entities/user.entity';
import { RouteMetadata } from '../../shared/http/route-metadata';
import type { Principal } from '../access-tokens';
import { REQUIRED_ROLES } from '../decorators/roles.decorator';

/** Global: enforces `@Roles()`; runs after authentication, so a missing token is 401, not 403. */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly requiredRoles: RouteMetadata<Role[]>;

  constructor(reflector: Reflector) {
    this.requiredRoles = new RouteMetadata(reflector, REQUIRED_ROLES);
  }

  canActivate(context: ExecutionContext): boolean {
    const roles = this.requiredRoles.of(context);
    if (!roles) return true;
    const user = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (user && roles.includes(user.role)) return true;
    throw new ForbiddenException('Your role does not allow this.');
  }
}
