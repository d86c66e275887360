import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { HealthModule } from './health/health.module';
import { CacheModule } from './shared/cache/cache.module';
import { ConfigModule } from './shared/config/config.module';
import type { Environment } from './shared/config/environment';
import { DatabaseModule } from './shared/database/database.module';
import { HttpModule } from './shared/http/http.module';
import { QueueModule } from './shared/queue/queue.module';
import { RateLimitModule } from './shared/rate-limit/rate-limit.module';
import { RedisModule } from './shared/redis/redis.module';
import { OrdersModule } from './orders/orders.module';
import { PaymentsModule } from './payments/payments.module';
import { ProductsModule } from './products/products.module';
import { IdempotencyModule } from './shared/idempotency/idempotency.module';
import { LocksModule } from './shared/locks/locks.module';
import { MaintenanceModule } from './shared/maintenance/maintenance.module';
import { MetricsController } from './shared/metrics/metrics.controller';
import { MetricsModule } from './shared/metrics/metrics.module';
import { UsersModule } from './users/users.module';

/** The HTTP API: infrastructure, the domain modules, and the HTTP cross-cutting concerns. */
@Module({})
export class AppModule {
  static register(environment: Environment): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(environment),
        DatabaseModule,
        RedisModule,
        CacheModule,
        RateLimitModule,
        LocksModule,
        MaintenanceModule,
        IdempotencyModule,
        QueueModule.forRoot(environment),
        MetricsModule,
        HttpModule,
        HealthModule,
        AuthModule,
        UsersModule,
        ProductsModule,
        OrdersModule,
        PaymentsModule,
        AdminModule.register(environment),
        // Mail jobs run in this process only in embedded mode; with Redis, the worker runs them, and
        // the API does not even load the mail module (nodemailer and its transports).
        ...(environment.redisUrl ? [] : [import('./mail/mail.module.js').then(({ MailModule }) => ({ module: MailModule }))]),
      ],
      // With METRICS_PORT set, /metrics is served there only (MetricsServer), not on PORT.
      controllers: environment.metricsPort === undefined ? [MetricsController] : [],
    };
  }
}
