import { MigrationInterface, QueryRunner } from 'typeorm';

export class Commerce1764040200000 implements MigrationInterface {
  name = 'Commerce1764040200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(`
      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sku varchar(64) NOT NULL,
        name varchar(200) NOT NULL,
        description varchar(5000) NOT NULL DEFAULT '',
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        currency char(3) NOT NULL,
        stock integer NOT NULL CHECK (stock >= 0),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT products_sku_unique UNIQUE (sku)
      )`);
    await queryRunner.query(`CREATE INDEX products_active_created ON products (created_at DESC, id DESC) WHERE active`);
    // Trigram index: '?q=' is a case-insensitive substring match that stays fast at 100k+ products.
    await queryRunner.query(`CREATE INDEX products_name_trgm ON products USING gin (lower(name) gin_trgm_ops) WHERE active`);
    await queryRunner.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id),
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled', 'expired')),
        total_cents bigint NOT NULL CHECK (total_cents >= 0),
        currency char(3) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        paid_at timestamptz(3)
      )`);
    await queryRunner.query(`CREATE INDEX orders_user_created ON orders (user_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX orders_created ON orders (created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX orders_pending_created ON orders (created_at) WHERE status = 'pending'`);
    await queryRunner.query(`
      CREATE TABLE order_items (
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        position smallint NOT NULL,
        product_id uuid NOT NULL REFERENCES products (id),
        sku varchar(64) NOT NULL,
        name varchar(200) NOT NULL,
        unit_price_cents integer NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        line_total_cents bigint NOT NULL,
        PRIMARY KEY (order_id, position)
      )`);
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL,
        key varchar(255) NOT NULL,
        request_hash char(64) NOT NULL,
        response_status smallint,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
    await queryRunner.query(`
      CREATE TABLE payment_events (
        event_id varchar(255) PRIMARY KEY,
        type varchar(32) NOT NULL,
        order_id uuid NOT NULL,
        amount_cents bigint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['payment_events', 'idempotency_keys', 'order_items', 'orders', 'products']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
