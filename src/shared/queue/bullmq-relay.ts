import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { tracingState } from '../tracing/tracing-state';
import { QUEUES, QueueName } from './job-registry';
import { Outbox, OutboxJob } from './outbox';
import { OutboxRelay } from './outbox-relay';

export const bullPrefix = (env: Environment) => `${env.redisPrefix}:bull`;

/**
 * Hands outbox rows to BullMQ with the row id as job id, so a row handed over twice is one job;
 * the job's data is that id alone (the payload stays in PostgreSQL).
 * The producer connection fails fast while Redis is down (no offline queue): the rows simply stay
 * in the outbox until Redis is back.
 */
@Injectable()
export class BullMqRelay extends OutboxRelay {
  private readonly connection: Redis;
  private queues: Map<QueueName, Queue> | undefined;

  constructor(outbox: Outbox, @Inject(ENVIRONMENT) env: Environment, dataSource: DataSource) {
    super(outbox, env, dataSource);
    this.connection = new Redis(env.redisUrl!, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    this.connection.on('error', (error) => this.reportFailure(error));
  }

  /** BullMQ initialises a queue once, on a connected client; until Redis answers, hand-overs fail and rows wait. */
  private connectedQueues(): Map<QueueName, Queue> {
    if (this.connection.status !== 'ready') throw new Error(`Redis is ${this.connection.status}`);
    this.queues ??= new Map(
      (Object.keys(QUEUES) as QueueName[]).map((name) => {
        const queue = new Queue(name, {
          connection: this.connection,
          prefix: bullPrefix(this.env),
          skipWaitingForReady: true,
          // When tracing is on: a producer span per hand-over, continued by BullMQ's span of each job run in the worker.
          telemetry: tracingState.bullmqTelemetry,
        });
        queue.on('error', (error) => this.reportFailure(error));
        return [name, queue];
      }),
    );
    return this.queues;
  }

  override async queueCounts(): Promise<{ queue: string; counts: Record<string, number> }[]> {
    const queues = this.connectedQueues();
    return Promise.all(
      [...queues].map(async ([queue, instance]) => ({
        queue,
        counts: await instance.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
      })),
    );
  }

  protected async handOver(jobs: OutboxJob[]): Promise<void> {
    const queues = this.connectedQueues();
    const byQueue = new Map<QueueName, OutboxJob[]>();
    for (const job of jobs) byQueue.set(job.queue as QueueName, [...(byQueue.get(job.queue as QueueName) ?? []), job]);
    for (const [name, batch] of byQueue) {
      const policy = QUEUES[name];
      await queues.get(name)!.addBulk(
        batch.map((job) => ({
          name: job.name,
          // A reference only: the worker reads the payload from the outbox row, so no secret rests in Redis.
          data: { outboxId: job.id },
          opts: {
            jobId: job.id,
            attempts: policy.attempts,
            backoff: { type: 'exponential', delay: policy.backoffMs, jitter: 0.5 },
            removeOnComplete: { count: 1_000, age: 24 * 3600 },
            removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
          },
        })),
      );
    }
  }

  protected async redeliverStale(): Promise<void> {
    let count: number;
    do {
      count = await this.outbox.claimStale(this.env.outboxRedeliverAfterMs, 500, (jobs) =>
        this.tracedHandOver('outbox redelivery', jobs, () => this.handOver(jobs)),
      );
      if (count > 0) this.logger.log(`Re-offered ${count} unfinished outbox jobs to BullMQ`);
    } while (count === 500);
  }

  override async onApplicationShutdown(): Promise<void> {
    await super.onApplicationShutdown();
    await Promise.all([...(this.queues?.values() ?? [])].map((queue) => queue.close()));
    this.connection.disconnect();
  }
}
