import { CACHE_TTL_METADATA } from '@nestjs/cache-manager';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Observable, of, tap } from 'rxjs';
import type { Principal } from '../auth/access-tokens';
import { VersionedCache } from '../shared/cache/versioned-cache';
import { Role } from '../users/entities/user.entity';
import { productCacheKeys } from './product-cache-keys';

const DEFAULT_TTL_MS = 60_000;

/**
 * The guide's CacheInterceptor for product reads, made correct:
 * - an item's key holds the audience (admins see inactive products; no one else may get that
 *   response); a list (active products only, the same for everyone) is keyed by its normalised query;
 * - entries are versioned per product and for lists, and every write replaces the version, so a
 *   read after a write — on any API process — never gets the old value (see VersionedCache).
 * TTLs come from `@CacheTTL()` and are only a backstop.
 */
@Injectable()
export class ProductCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly cache: VersionedCache,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal; params: { id?: string } }>();
    const audience = request.user?.role === Role.Admin ? 'admin' : 'public';
    const { key, versionKey } = request.params.id
      ? productCacheKeys.item(request.params.id, audience)
      : productCacheKeys.list(request.query as Record<string, string>);
    const ttl = this.reflector.get<number>(CACHE_TTL_METADATA, context.getHandler()) ?? DEFAULT_TTL_MS;
    const { value, version } = await this.cache.read(key, versionKey);
    if (value !== undefined) return of(value);
    return next.handle().pipe(tap((body) => void this.cache.write(key, version, body, ttl)));
  }
}
