import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';

/**
 * `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time. A guard runs
 * before validation, so an unsigned request is 401 whatever its body.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(@Inject(ENVIRONMENT) private readonly env: Environment) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    const header = request.headers['x-signature'];
    const match = typeof header === 'string' ? /^sha256=([0-9a-f]{64})$/i.exec(header) : null;
    if (!match || !request.rawBody) throw new UnauthorizedException('Missing or malformed X-Signature.');
    const expected = createHmac('sha256', this.env.paymentWebhookSecret).update(request.rawBody).digest();
    if (!timingSafeEqual(expected, Buffer.from(match[1], 'hex'))) throw new UnauthorizedException('Bad signature.');
    return true;
  }
}
