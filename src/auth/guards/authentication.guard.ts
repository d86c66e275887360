import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../../shared/http/public.decorator';
import { AccessTokens, Principal } from '../access-tokens';

/** Global: every route needs a valid bearer token unless marked `@Public()`. */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const header = request.headers.authorization;
    const principal = header?.startsWith('Bearer ') ? this.tokens.principalOf(header.slice(7)) : null;
    if (!principal) throw new UnauthorizedException('A valid bearer access token is required.');
    request.user = principal;
    return true;
  }
}
