import {
  BadRequestException,
  CallHandler,
  ConflictException,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  NestInterceptor,
  UnprocessableEntityException,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { IDEMPOTENCY_CLAIM, IdempotencyClaim } from './idempotency-claim';
import { IdempotencyStore } from './idempotency-store';

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
 * Claims the caller's `Idempotency-Key` before the handler runs and answers replays, mismatches
 * and requests still in flight without running it. A handler that takes the claim
 * (`@ClaimedIdempotencyKey()`) stores its response in its own transaction; for one that does not,
 * the response is stored here after the handler returned — correct, but a crash in between leaves
 * the key held until its lease runs out.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
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
    const begun = await this.store.begin(request.user!.id, key, requestHash, status, this.env.idempotencyLeaseSeconds);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    switch (begun.state) {
      case 'replay':
        // The stored JSON goes out byte for byte; the handler's status is the stored one.
        void reply.header('idempotent-replayed', 'true').header('content-type', 'application/json; charset=utf-8');
        return from([begun.body]);
      case 'in-flight':
        void reply.header('retry-after', String(begun.retryAfterSeconds));
        throw new ConflictException('A request with this Idempotency-Key is still in progress.');
      case 'mismatch':
        throw new UnprocessableEntityException('This Idempotency-Key was already used with a different request body.');
    }
    const claim = begun.claim;
    request[IDEMPOTENCY_CLAIM] = claim;
    return next.handle().pipe(
      mergeMap(async (body) => {
        if (!claim.settled) await this.store.settleAlone(claim, body);
        return body;
      }),
      // If freeing the key fails too (database gone), its lease frees it.
      catchError((error: unknown) => from(this.store.release(claim).catch(() => undefined)).pipe(mergeMap(() => throwError(() => error)))),
    );
  }
}
