import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Environment } from '../config/environment';
import { BullMqRelay } from './bullmq-relay';
import { InProcessRelay } from './in-process-relay';
import { JobExecutor } from './job-executor';
import { JobHandlers } from './job-handlers';
import { Outbox } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { QueueRemovals } from './queue-removals';

/**
 * The outbox and its relay: to BullMQ when REDIS_URL is set (with the listener that records jobs
 * removed from a queue), to the in-process runner otherwise.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(env: Environment): DynamicModule {
    return {
      module: QueueModule,
      providers: [
        Outbox,
        JobHandlers,
        JobExecutor,
        { provide: OutboxRelay, useClass: env.redisUrl ? BullMqRelay : InProcessRelay },
        ...(env.redisUrl ? [QueueRemovals] : []),
      ],
      exports: [Outbox, JobHandlers, JobExecutor, OutboxRelay],
    };
  }
}
