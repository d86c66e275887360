import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-written (the outbox has no entity). The W3C trace context (`traceparent`, `tracestate`) of
 * the transaction that recorded a job, so the worker continues that request's trace. NULL when
 * tracing is off or the row predates this column: the job then starts a trace of its own.
 */
export class OutboxTraceContext1764040700000 implements MigrationInterface {
  name = 'OutboxTraceContext1764040700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN IF NOT EXISTS trace_context jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS trace_context`);
  }
}
