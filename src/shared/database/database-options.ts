import type { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations';

export interface DatabaseConnection {
  url: string;
  poolSize: number;
}

/** Options shared by the application, `npm run migrate` and the TypeORM CLI. */
export function databaseOptions({ url, poolSize }: DatabaseConnection): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'orderly',
      // A transaction whose process went silent (crashed host, partition) is ended by PostgreSQL
      // after this long, releasing its row locks and Idempotency-Key claims. Ours never idle that long.
      idle_in_transaction_session_timeout: 30_000,
    },
  };
}
