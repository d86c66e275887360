import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Codec, jsonCodec, VersionedCache, VersionedEntry, VersionedRead } from '../shared/cache/versioned-cache';
import { afterCommit } from '../shared/database/after-commit';
import { JsonBody } from '../shared/http/json-body';
import type { ProductListQuery, ProductResponse } from './dto/product.dto';

/** Admins also see retired products, so what they are answered is cached apart from everyone else's. */
export type Audience = 'admin' | 'public';

/** A product as answered: its JSON, tagged with the row version it was built from. */
export type CachedProduct = JsonBody<ProductResponse>;

/** `<ETag>\n<JSON>`: a hit is split, not parsed, and its text sent as it is. */
const productCodec: Codec<CachedProduct> = {
  encode: (product) => `${product.entityTag}\n${product.text}`,
  decode(text) {
    const end = text.indexOf('\n');
    return new JsonBody(text.slice(end + 1), text.slice(0, end));
  },
};
const listCodec = jsonCodec<CachedListPage>();

/** A cached list page holds the ids in order, not the products: their bodies come from the items' own entries. */
export interface CachedListPage {
  ids: string[];
  nextCursor: string | null;
}

const ITEM_TTL_MS = 300_000;
const LIST_TTL_MS = 30_000;

/**
 * Entry keys carry the shape of what they hold (`e3`: pages of ids, items as ETag + JSON text), so
 * a process of an earlier release, during a rolling deploy, never reads what this one wrote or the
 * other way round. Version keys are shared across releases: a write on either invalidates both.
 */
const keys = {
  itemVersion: (id: string) => `products:item:${id}:version`,
  item: (id: string, audience: Audience): VersionedEntry<CachedProduct> => ({
    key: `products:e3:item:${id}:${audience}`,
    versionKey: keys.itemVersion(id),
    codec: productCodec,
  }),
  listVersion: 'products:list:version',
  list({ limit, cursor, q }: ProductListQuery): VersionedEntry<CachedListPage> {
    const normalised = new URLSearchParams({ limit: String(limit), cursor: cursor ?? '', q: q ?? '' }).toString();
    return { key: `products:e3:list:${normalised}`, versionKey: keys.listVersion, codec: listCodec };
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

  readItem(id: string, audience: Audience): Promise<VersionedRead<CachedProduct>> {
    return this.cache.read(keys.item(id, audience), 'product');
  }

  writeItem(id: string, audience: Audience, version: string, product: CachedProduct): Promise<void> {
    return this.cache.write(keys.item(id, audience), version, product, ITEM_TTL_MS);
  }

  /** The product does not exist: whatever the read created is removed. */
  forgetItem(id: string, read: VersionedRead<CachedProduct>): Promise<void> {
    return this.cache.forget(keys.itemVersion(id), read);
  }

  /** What everyone but admins is answered for these products, in one round trip. */
  readPublicItems(ids: string[]): Promise<VersionedRead<CachedProduct>[]> {
    return this.cache.readMany(ids.map((id) => keys.item(id, 'public')));
  }

  readList(query: ProductListQuery): Promise<VersionedRead<CachedListPage>> {
    return this.cache.read(keys.list(query));
  }

  /** A list read is a hit only when the page and every product on it came from the cache. */
  countListRead(hit: boolean): void {
    this.cache.count('product_list', hit);
  }

  writeList(query: ProductListQuery, version: string, page: CachedListPage): Promise<void> {
    return this.cache.write(keys.list(query), version, page, LIST_TTL_MS);
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
