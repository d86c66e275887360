import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generated (`npm run migration:generate`) for `products.version`; the trigger and the
 * idempotency column's type are hand-written, since TypeORM models neither (idempotency_keys has no entity).
 */
export class ProductVersionsAndReplayableResponses1764040400000 implements MigrationInterface {
  name = 'ProductVersionsAndReplayableResponses1764040400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "products" ADD "version" integer NOT NULL DEFAULT '1'`);
    // In the database, not in each writer: every UPDATE — an admin edit, an order taking stock, a
    // cancellation giving it back — moves the version (the ETag) and updated_at, whoever wrote it.
    await queryRunner.query(`
      CREATE FUNCTION products_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER products_row_version BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION products_row_version()`,
    );

    // The stored response is replayed byte for byte: text keeps the key order jsonb would sort.
    await queryRunner.query(`ALTER TABLE idempotency_keys ALTER COLUMN response_body TYPE text USING response_body::text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE idempotency_keys ALTER COLUMN response_body TYPE jsonb USING response_body::jsonb`);
    await queryRunner.query(`DROP TRIGGER products_row_version ON products`);
    await queryRunner.query(`DROP FUNCTION products_row_version()`);
    await queryRunner.query(`ALTER TABLE "products" DROP COLUMN "version"`);
  }
}
