import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { MailModule } from './mail/mail.module';
import { MailProcessor } from './mail/mail.processor';
import { ConfigModule } from './shared/config/config.module';
import type { Environment } from './shared/config/environment';
import { DatabaseModule } from './shared/database/database.module';
import { bullPrefix } from './shared/queue/bullmq-relay';
import { MetricsModule } from './shared/metrics/metrics.module';
import { QueueModule } from './shared/queue/queue.module';
import { configureWorkers } from './shared/queue/worker-options';
import { RedisModule } from './shared/redis/redis.module';
import { WorkerHealthServer } from './worker-health.server';

/**
 * The worker process: the same infrastructure and domain modules as the API, no HTTP layer, and
 * the BullMQ processors. Its connection follows BullMQ's production guide: retry for ever
 * (`maxRetriesPerRequest: null`) and reconnect with a capped back-off.
 */
@Module({})
export class WorkerModule {
  static register(environment: Environment): DynamicModule {
    configureWorkers(environment);
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(environment),
        DatabaseModule,
        RedisModule,
        QueueModule.forRoot(environment),
        MetricsModule,
        BullModule.forRoot({
          connection: new Redis(environment.redisUrl!, {
            maxRetriesPerRequest: null,
            retryStrategy: (attempt) => Math.min(1_000 * 2 ** attempt, 20_000),
          }),
          prefix: bullPrefix(environment),
        }),
        BullModule.registerQueue({ name: 'mail' }),
        MailModule,
      ],
      providers: [MailProcessor, WorkerHealthServer],
    };
  }
}
