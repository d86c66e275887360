import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-written (the outbox has no entity, so the generator does not see it). The backlog gauge
 * counts unfinished rows (`status <> 'done'`, `Outbox.backlog`) every few seconds in every
 * process: this partial index holds only those rows, so the count costs the backlog's size, not
 * the table's (done rows are kept a week). The pending and enqueued indexes could not answer
 * `failed`. Plain CREATE INDEX: the table is small at upgrade time, and migrations run in a
 * transaction (CONCURRENTLY cannot).
 */
export class OutboxUnfinishedIndex1764040500000 implements MigrationInterface {
  name = 'OutboxUnfinishedIndex1764040500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS outbox_unfinished ON outbox (status) WHERE status <> 'done'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS outbox_unfinished`);
  }
}
