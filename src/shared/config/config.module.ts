import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Environment } from './environment';

/** Injection token for the validated {@link Environment}. */
export const ENVIRONMENT = Symbol('ENVIRONMENT');

/**
 * The entrypoint validates the environment once and hands it over here, so tests can boot
 * several differently configured instances in one process without touching `process.env`.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(environment: Environment): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: ENVIRONMENT, useValue: environment }],
      exports: [ENVIRONMENT],
    };
  }
}
