import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConfigModule, ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { AfterCommitSubscriber } from './after-commit';
import { databaseOptions } from './database-options';
import { EmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './run-migrations';

/** Resolves to the embedded server when `DATABASE_URL` is unset, otherwise `null`. */
export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [ENVIRONMENT],
      useFactory: (env: Environment) => (env.databaseUrl ? null : EmbeddedPostgres.start(env.dataDir)),
    },
  ],
  exports: [EMBEDDED_POSTGRES],
})
class EmbeddedPostgresModule implements OnApplicationShutdown {
  constructor(
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
    private readonly moduleRef: ModuleRef,
  ) {}

  // Nest shuts this module down before TypeORM's (it is deeper in the graph), so the pool is
  // closed here first, while the server it talks to is still up.
  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) return;
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.embedded.stop();
  }
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [ConfigModule, EmbeddedPostgresModule],
      inject: [ENVIRONMENT, EMBEDDED_POSTGRES],
      useFactory: (env: Environment, embedded: EmbeddedPostgres | null) => ({
        ...databaseOptions({
          url: embedded?.url ?? env.databaseUrl!,
          poolSize: embedded ? 1 : env.databasePoolSize,
        }),
        migrationsRun: env.migrationsRun,
        autoLoadEntities: true,
      }),
      dataSourceFactory: async (options) => {
        const { migrationsRun, ...rest } = options!;
        const dataSource = await new DataSource({ ...rest, migrationsRun: false }).initialize();
        if (migrationsRun) {
          const applied = await runMigrations(dataSource);
          if (applied.length > 0) new Logger('Database').log(`Applied migrations: ${applied.map((m) => m.name).join(', ')}`);
        }
        return dataSource;
      },
    }),
  ],
  providers: [AfterCommitSubscriber],
})
export class DatabaseModule {}
