import { DataSource, Migration, MigrationExecutor } from 'typeorm';

/** Any constant shared by every Orderly process; it names the migration lock in `pg_locks`. */
const MIGRATION_LOCK_KEY = 7_214_220_731;

/**
 * Applies pending migrations on one connection that holds a session-level advisory lock, so when
 * ten pods start together one migrates, the others wait on the lock and then find nothing pending.
 * Using that same connection for the migrations keeps this safe with a pool of one.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    return await executor.executePendingMigrations();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
