import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProductCache } from './product-cache';

export interface StockRequest {
  productId: string;
  quantity: number;
}

/** A requested line priced from the locked product row, whether or not it could be served. */
export interface PricedLine {
  position: number;
  productId: string;
  quantity: number;
  sku: string;
  name: string;
  priceCents: number;
  lineTotalCents: number;
  active: boolean;
  stock: number;
}

export interface Reservation<Row> {
  /** Every line is for sale with enough stock: the stock was taken and the dependent writes ran. */
  ok: boolean;
  /** The lines whose product exists, in request order. */
  lines: PricedLine[];
  /** What the dependent statement selected (`undefined` when nothing was taken). */
  row: Row | undefined;
}

/**
 * Writes that depend on the stock being taken, run in the same statement: CTEs that may read
 * `priced` (position, product_id, quantity, sku, name, price_cents, line_total) and `verdict`
 * (ok, total) and must write only `WHERE verdict.ok`, plus one selected column `dependent`.
 * `param` binds a value and returns its placeholder.
 */
export type DependentWrites = (param: (value: unknown) => string) => { ctes: string; select: string };

interface PricedRow {
  position: number;
  product_id: string;
  quantity: number;
  sku: string;
  name: string;
  price_cents: number;
  line_total: number;
  active: boolean;
  stock: number;
}

/**
 * Stock moves made by orders, inside the order's transaction. Products are locked in id order
 * (no deadlocks between multi-line orders; NO KEY UPDATE, since order lines' foreign keys take KEY
 * SHARE on the same rows), so the database is the fence against overselling whichever API process
 * serves the request.
 */
@Injectable()
export class ProductStock {
  constructor(private readonly cache: ProductCache) {}

  /**
   * One statement: locks the products, prices the lines from the locked rows and, only if every
   * line is for sale with enough stock, takes it and runs `dependent` (the order that takes it).
   * Otherwise nothing is written. One round trip, and the rows stay locked for this statement only
   * when `manager` is not in a transaction.
   */
  async reserve<Row>(manager: EntityManager, requests: StockRequest[], dependent: DependentWrites): Promise<Reservation<Row>> {
    const productIds = requests.map((request) => request.productId);
    const params: unknown[] = [productIds, requests.map((request) => request.quantity), requests.length];
    const writes = dependent((value) => `$${params.push(value)}`);
    const [result] = (await manager.query(
      `WITH line AS (
         SELECT * FROM unnest($1::uuid[], $2::int[]) WITH ORDINALITY AS l(product_id, quantity, position)
       ), locked AS (
         SELECT id, sku, name, price_cents, stock, active FROM products WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
       ), priced AS (
         SELECT line.position - 1 AS position, line.product_id, line.quantity, locked.sku, locked.name, locked.price_cents,
                locked.price_cents::bigint * line.quantity AS line_total, locked.active, locked.stock
         FROM line JOIN locked ON locked.id = line.product_id
       ), verdict AS (
         SELECT count(*) = $3 AND coalesce(bool_and(active AND stock >= quantity), false) AS ok, coalesce(sum(line_total), 0) AS total
         FROM priced
       ), taken AS (
         UPDATE products SET stock = products.stock - priced.quantity
         FROM priced, verdict WHERE verdict.ok AND products.id = priced.product_id
         RETURNING products.id
       ), ${writes.ctes}
       SELECT verdict.ok, (SELECT coalesce(json_agg(priced ORDER BY position), '[]') FROM priced) AS lines, ${writes.select} AS dependent
       FROM verdict`,
      params,
    )) as { ok: boolean; lines: PricedRow[]; dependent: Row | null }[];
    if (result.ok) await this.cache.changed(manager, productIds, { lists: false });
    return {
      ok: result.ok,
      row: result.dependent ?? undefined,
      lines: result.lines.map((row) => ({
        position: row.position,
        productId: row.product_id,
        quantity: row.quantity,
        sku: row.sku,
        name: row.name,
        priceCents: row.price_cents,
        lineTotalCents: Number(row.line_total),
        active: row.active,
        stock: row.stock,
      })),
    };
  }

  /** Gives stock back (a cancelled or expired order). */
  async giveBack(manager: EntityManager, returns: StockRequest[]): Promise<void> {
    if (returns.length === 0) return;
    const productIds = returns.map((line) => line.productId);
    await manager.query(`SELECT 1 FROM products WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [productIds]);
    await manager.query(
      `UPDATE products SET stock = stock + line.quantity
       FROM unnest($1::uuid[], $2::int[]) AS line(id, quantity) WHERE products.id = line.id`,
      [productIds, returns.map((line) => line.quantity)],
    );
    await this.cache.changed(manager, productIds, { lists: false });
  }
}
