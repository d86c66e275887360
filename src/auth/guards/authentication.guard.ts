import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../../shared/http/public.decorator';
import { RouteMetadata } from '../../shared/http/route-metadata';
import { AccessTokens, Principal } from '../access-tokens';

/** Global: every route needs a valid bearer token unless marked `@Public()`. */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly isPublic: RouteMetadata<boolean>;

  constructor(
    reflector: Reflector,
    private readonly tokens: AccessTokens,
  ) {
    this.isPublic = new RouteMetadata(reflector, IS_PUBLIC);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const principal = this.tokens.principalOfHeader(request.headers.authorization);
    if (principal) request.user = principal;
    // Public routes still learn who is calling when a valid token comes along (admins see more).
    if (this.isPublic.of(context)) return true;
    if (!principal) throw new UnauthorizedException('A valid bearer access token is required.');
    return true;
  }
}
