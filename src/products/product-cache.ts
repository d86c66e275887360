import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { VersionedCache, VersionedRead } from '../shared/cache/versioned-cache';
import { afterCommit } from '../shared/database/after-commit';
import type { ProductListQuery, ProductResponse } from './dto/product.dto';

/** Admins also see retired products, so what they are answered is cached apart from everyone else's. */
export type Audience = 'admin' | 'public';

export interface CachedProduct {
  body: ProductResponse;
  /** The row version the body was built from: its ETag. */
  version: number;
}

/** A cached list page holds the ids in order, not the products: their bodies come from the items' own entries. */
export interface CachedListPage {
  ids: string[];
  nextCursor: string | null;
}

const ITEM_TTL_MS = 300_000;
const LIST_TTL_MS = 30_000;

/**
 * Entry keys carry the shape of what they hold (`e2`: pages of ids, items with their version), so
 * a process of an earlier release, during a rolling deploy, never reads what this one wrote or the
 * other way round. Version keys are shared across releases: a write on either invalidates both.
 */
const keys = {
  itemVersion: (id: string) => `products:item:${id}:version`,
  item: (id: string, audience: Audience) => ({ key: `products:e2:item:${id}:${audience}`, versionKey: keys.itemVersion(id) }),
  listVersion: 'products:list:version',
  list({ limit, cursor, q }: ProductListQuery) {
    const normalised = new URLSearchParams({ limit: String(limit), cursor: cursor ?? '', q: q ?? '' }).toString();
    return { key: `products:e2:list:${normalised}`, versionKey: keys.listVersion };
  },
};

/**
 * The catalogue's cache. Item entries are versioned per product; list entries hold only which
 * products a page shows (versioned for all lists at once), so an order taking stock invalidates
 * the products it touched and no list: a list page is put together from the items' entries,
 * reading again from the database only the products whose entry is stale.
 *
 * Writes to `products` invalidate through {@link changed}, from the products module's own write
 * methods only (nothing else writes that table), after the writing transaction commits.
 */
@Injectable()
export class ProductCache {
  constructor(private readonly cache: VersionedCache) {}

  async readItem(id: string, audience: Audience): Promise<VersionedRead<CachedProduct>> {
    const { key, versionKey } = keys.item(id, audience);
    const read = await this.cache.read<CachedProduct>(key, versionKey);
    this.cache.count('product', read.value !== undefined);
    return read;
  }

  writeItem(id: string, audience: Audience, version: string, product: CachedProduct): Promise<void> {
    return this.cache.write(keys.item(id, audience).key, version, product, ITEM_TTL_MS);
  }

  /** The product does not exist: whatever the read created is removed. */
  forgetItem(id: string, read: VersionedRead<CachedProduct>): Promise<void> {
    return this.cache.forget(keys.itemVersion(id), read);
  }

  /** What everyone but admins is answered for these products, in one round trip. */
  readPublicItems(ids: string[]): Promise<VersionedRead<CachedProduct>[]> {
    return this.cache.readMany<CachedProduct>(ids.map((id) => keys.item(id, 'public')));
  }

  readList(query: ProductListQuery): Promise<VersionedRead<CachedListPage>> {
    const { key, versionKey } = keys.list(query);
    return this.cache.read<CachedListPage>(key, versionKey);
  }

  /** A list read is a hit only when the page and every product on it came from the cache. */
  countListRead(hit: boolean): void {
    this.cache.count('product_list', hit);
  }

  writeList(query: ProductListQuery, version: string, page: CachedListPage): Promise<void> {
    return this.cache.write(keys.list(query).key, version, page, LIST_TTL_MS);
  }

  /**
   * `ids` changed in the transaction of `manager` (or in the statement just run, outside one):
   * once it commits, their cached reads — and, with `lists`, every cached list — are stale.
   * Stock moves leave lists alone: a page's membership and order do not depend on stock.
   */
  changed(manager: EntityManager, ids: string[], { lists }: { lists: boolean }): Promise<void> {
    const versionKeys = [...new Set(ids)].map(keys.itemVersion);
    if (lists) versionKeys.push(keys.listVersion);
    return afterCommit(manager, () => this.cache.invalidate(...versionKeys));
  }
}
