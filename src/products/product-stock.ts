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

export interface Reservation {
  /** Every line is for sale with enough stock, and the stock was taken. */
  ok: boolean;
  /** The lines whose product exists, in request order. */
  lines: PricedLine[];
}

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
   * line is for sale with enough stock, takes it. Otherwise nothing is written.
   */
  async reserve(manager: EntityManager, requests: StockRequest[]): Promise<Reservation> {
    const productIds = requests.map((request) => request.productId);
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
         SELECT count(*) = $3 AND coalesce(bool_and(active AND stock >= quantity), false) AS ok FROM priced
       ), taken AS (
         UPDATE products SET stock = products.stock - priced.quantity
         FROM priced, verdict WHERE verdict.ok AND products.id = priced.product_id
         RETURNING products.id
       )
       SELECT verdict.ok, (SELECT coalesce(json_agg(priced ORDER BY position), '[]') FROM priced) AS lines
       FROM verdict`,
      [productIds, requests.map((request) => request.quantity), requests.length],
    )) as { ok: boolean; lines: PricedRow[] }[];
    if (result.ok) await this.cache.changed(manager, productIds, { lists: false });
    return {
      ok: result.ok,
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
