import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiIdempotent } from '../http/api-responses';
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
export const Idempotent = () => applyDecorators(UseInterceptors(IdempotencyInterceptor), ApiIdempotent());
