import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'products' })
@Unique('products_sku_unique', ['sku'])
@Check('products_price_cents_check', 'price_cents >= 0')
@Check('products_stock_check', 'stock >= 0')
@Index('products_active_created', { synchronize: false })
@Index('products_name_trgm', { synchronize: false })
export class Product {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 64 })
  sku: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 5000, default: '' })
  description: string;

  @Column({ name: 'price_cents', type: 'integer' })
  priceCents: number;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'integer' })
  stock: number;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /**
   * Raised by the `products_row_version` trigger on every UPDATE, whichever statement made it (an
   * admin edit, an order taking stock, a cancellation giving it back): the ETag, and what `If-Match`
   * is checked against.
   */
  @Column({ type: 'integer', default: 1, update: false })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
