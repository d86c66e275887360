import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadEnvironmentOrExit } from '../config/load-environment-or-exit';
import { databaseOptions } from './database-options';
import { EmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './run-migrations';

/** `npm run migrate` / `node dist/shared/database/migrate.js`: the Kubernetes migration Job. */
async function migrate(): Promise<void> {
  const logger = new Logger('Migrate');
  const env = loadEnvironmentOrExit();
  const embedded = env.databaseUrl ? null : await EmbeddedPostgres.start(env.dataDir);
  const dataSource = await new DataSource(databaseOptions({ url: embedded?.url ?? env.databaseUrl!, poolSize: 1 })).initialize();
  try {
    const applied = await runMigrations(dataSource);
    logger.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Nothing to apply');
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

migrate().catch((error: Error) => {
  new Logger('Migrate').error(error.stack ?? error.message);
  process.exit(1);
});
