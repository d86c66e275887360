import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { bullPrefix } from './bullmq-relay';
import { QUEUES, QueueName } from './job-registry';
import { Outbox } from './outbox';

/**
 * Keeps the outbox in agreement with a job removed from its queue on purpose (Bull Board's
 * "Remove", or `job.remove()`): its row is failed with that reason. Without this the relay would
 * take the vanished job for one Redis lost and offer it again. BullMQ announces each manual
 * removal on the queue's event stream; every process with Redis listens, and the conditional
 * update makes the duplicates harmless. Removals while no process listens are not seen (the
 * relay then re-offers those jobs, as it would after a Redis loss).
 */
@Injectable()
export class QueueRemovals implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueRemovals.name);
  private listeners: { events: QueueEvents; connection: Redis }[] = [];

  constructor(
    private readonly outbox: Outbox,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.listeners = (Object.keys(QUEUES) as QueueName[]).map((name) => {
      // A blocking stream read needs a connection of its own, retried for ever like the worker's.
      const connection = new Redis(this.env.redisUrl!, {
        maxRetriesPerRequest: null,
        retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
      });
      connection.on('error', () => undefined);
      const events = new QueueEvents(name, { connection, prefix: bullPrefix(this.env) });
      events.on('error', () => undefined);
      events.on('removed', ({ jobId }) => void this.removed(name, jobId));
      return { events, connection };
    });
  }

  onApplicationShutdown(): void {
    for (const { events, connection } of this.listeners) {
      // Disconnected first: with Redis down, `events.close()` alone never settles and the shutdown would time out.
      connection.disconnect();
      void events.close().catch(() => undefined);
    }
  }

  private async removed(queue: QueueName, jobId: string): Promise<void> {
    try {
      if (await this.outbox.markRemoved(jobId))
        this.logger.warn(`Job ${jobId} was removed from the ${queue} queue; its outbox row is failed`);
    } catch (error) {
      this.logger.warn(`Could not record the removal of job ${jobId}: ${(error as Error).message}`);
    }
  }
}
