import {
  BadRequestException,
  CallHandler,
  ConflictException,
  ExecutionContext,
  HttpStatus,
  Injectable,
  NestInterceptor,
  UnprocessableEntityException,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { catchError, from, mergeMap, Observable, of, switchMap, throwError } from 'rxjs';
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

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: { id: string } }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = request.headers['idempotency-key'];
    if (key === undefined) return next.handle();
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw new BadRequestException('Idempotency-Key must be 1..255 characters.');
    }
    const scope = request.user!.id;
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url}\n${canonicalJson(request.params)}\n${canonicalJson(request.body)}`)
      .digest('hex');
    const status = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;

    return from(this.store.begin(scope, key, requestHash)).pipe(
      switchMap((begun) => {
        switch (begun.state) {
          case 'replay':
            void reply.status(begun.status).header('idempotent-replayed', 'true');
            return of(begun.body);
          case 'in-flight':
            throw new ConflictException('A request with this Idempotency-Key is still in progress.');
          case 'mismatch':
            throw new UnprocessableEntityException('This Idempotency-Key was already used with a different request body.');
          case 'new':
            return next.handle().pipe(
              // Stored before the response leaves, so an immediate retry replays instead of seeing "in flight".
              mergeMap(async (body) => {
                await this.store.complete(scope, key, status, body);
                return body;
              }),
              catchError((error: unknown) => from(this.store.release(scope, key)).pipe(switchMap(() => throwError(() => error)))),
            );
        }
      }),
    );
  }
}
