import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Makes an authenticated POST honour `Idempotency-Key`: a retry with the same key and body replays
 * the first response (`Idempotent-Replayed: true`), another body is 422, a retry while the first
 * is running is 409 (with `Retry-After`). Keys are scoped to the caller and kept 24 h.
 *
 * The handler takes `@ClaimedIdempotencyKey()` and its service does the work in
 * `IdempotencyStore.transaction(claim, manager => …)`: the key is claimed and the response stored
 * in that transaction, so the two commit together or not at all.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({ name: 'Idempotency-Key', required: false, description: '1..255 characters, unique per intended operation' }),
    ApiConflictResponse({ description: 'A request with this Idempotency-Key is still in flight' }),
    ApiUnprocessableEntityResponse({ description: 'This Idempotency-Key was used with a different body' }),
  );
