import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { JobHandlers } from './job-handlers';
import { inJobSpan } from './job-span';
import { isPermanentFailure, QUEUES, QueueName, retryDelayMs } from './job-registry';
import { Outbox, OutboxJob } from './outbox';
import { OutboxRelay } from './outbox-relay';

/**
 * Embedded mode (no REDIS_URL): the same outbox rows run in this process through the same
 * handlers, with the queue's retry policy kept in the row (`attempts`, `available_at`).
 */
@Injectable()
export class InProcessRelay extends OutboxRelay {
  constructor(
    outbox: Outbox,
    @Inject(ENVIRONMENT) env: Environment,
    dataSource: DataSource,
    private readonly handlers: JobHandlers,
  ) {
    super(outbox, env, dataSource);
  }

  // Claiming only marks the rows; they run after the claim commits, outside any transaction.
  protected async handOver(): Promise<void> {}

  protected override async afterHandOver(jobs: OutboxJob[]): Promise<void> {
    await Promise.all(jobs.map((job) => this.execute(job)));
  }

  private async execute(job: OutboxJob): Promise<void> {
    const queue = job.queue as QueueName;
    try {
      await inJobSpan(job, async () => {
        await this.handlers.get(queue)(job.name, job.payload, job.id);
        await this.outbox.markDone(job.id);
      });
    } catch (error) {
      const attempt = job.attempts + 1;
      const message = (error as Error).message;
      if (isPermanentFailure(error) || attempt >= QUEUES[queue].attempts) {
        this.logger.error(`Job ${job.name} ${job.id} failed for good after ${attempt} attempts: ${message}`);
        await this.outbox.markFailed(job.id, message, attempt);
      } else {
        await this.outbox.release(job.id, { delayMs: retryDelayMs(QUEUES[queue], attempt), error: message, countAttempt: true });
      }
    }
  }

  /** A claim older than the redelivery delay belongs to a process that died mid-job: run it again. */
  protected async redeliverStale(): Promise<void> {
    const stale: OutboxJob[] = [];
    await this.outbox.claimStale(this.env.outboxRedeliverAfterMs, 500, async (jobs) => {
      stale.push(...jobs);
    });
    for (const job of stale) await this.outbox.release(job.id, { delayMs: 0, countAttempt: false });
  }
}
