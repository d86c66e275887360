import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  InternalServerErrorException,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { catchError, map, Observable, of, throwError } from 'rxjs';
import { IDEMPOTENCY_CLAIM, IdempotencyClaim } from './idempotency-claim';
import { IdempotencyKeyInFlightException, IdempotentReplay } from './idempotency-store';

/** JSON with sorted keys, so the same body hashes the same whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type KeyedRequest = FastifyRequest & { user?: { id: string }; [IDEMPOTENCY_CLAIM]?: IdempotencyClaim };

/**
 * Hands the caller's `Idempotency-Key` to the handler as an `IdempotencyClaim`, which its service
 * claims and answers inside its own transaction (`IdempotencyStore.transaction`). Here, a key
 * already answered becomes the replay of the stored response, byte for byte, and a handler that
 * did not store its response is a programming error, refused loudly.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    const key = request.headers['idempotency-key'];
    if (key === undefined) return next.handle();
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw new BadRequestException('Idempotency-Key must be 1..255 characters.');
    }
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url}\n${canonicalJson(request.params)}\n${canonicalJson(request.body)}`)
      .digest('hex');
    const status = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    const claim = new IdempotencyClaim(request.user!.id, key, requestHash, status);
    request[IDEMPOTENCY_CLAIM] = claim;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body) => {
        if (!claim.recorded) {
          throw new InternalServerErrorException(
            `${context.getClass().name}.${context.getHandler().name} did not store its idempotent response.`,
          );
        }
        return body;
      }),
      catchError((error: unknown) => {
        if (error instanceof IdempotentReplay) {
          // The stored JSON goes out as it was sent; the status is the handler's, which is the stored one.
          void reply.header('idempotent-replayed', 'true').header('content-type', 'application/json; charset=utf-8');
          return of(error.body);
        }
        if (error instanceof IdempotencyKeyInFlightException) void reply.header('retry-after', String(error.retryAfterSeconds));
        return throwError(() => error);
      }),
    );
  }
}
