import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { VersionedCache, VersionedRead } from '../shared/cache/versioned-cache';
import { afterCommit } from '../shared/database/after-commit';
import { type ProductListQuery, ProductResponse } from './dto/product.dto';
import { Product } from './entities/product.entity';

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
  private readonly logger = new Logger(ProductCache.name);

  constructor(
    private readonly cache: VersionedCache,
    @InjectRepository(Product) private readonly products: Repository<Product>,
  ) {}

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
   *
   * The public entries of the changed products that were cached are then filled again in the
   * background, so that list pages, which are put together from them, keep being served from the
   * cache while orders flow. The refill reads the rows after the new versions are set, as any
   * reader does, so it can never store an older row under a newer version.
   */
  changed(manager: EntityManager, ids: string[], { lists }: { lists: boolean }): Promise<void> {
    const unique = [...new Set(ids)];
    const versionKeys = unique.map(keys.itemVersion);
    if (lists) versionKeys.push(keys.listVersion);
    return afterCommit(manager, async () => {
      const versions = await this.cache.invalidate(...versionKeys);
      this.refill(unique, versions).catch((error: Error) => this.logger.warn(`Refilling product cache entries failed: ${error.message}`));
    });
  }

  /** Refills the public entries that were cached (someone reads those products); the others stay empty until read. */
  private async refill(ids: string[], versions: string[]): Promise<void> {
    const cached = await this.cache.present(ids.map((id) => keys.item(id, 'public').key));
    const hot = ids.filter((_id, index) => cached[index]);
    if (hot.length === 0) return;
    const rows = await this.products.findBy({ id: In(hot), active: true });
    await Promise.all(
      rows.map((product) =>
        this.writeItem(product.id, 'public', versions[ids.indexOf(product.id)], {
          body: ProductResponse.of(product),
          version: product.version,
        }),
      ),
    );
  }
}
