import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { Metrics } from '../metrics/metrics';
import { JobHandlers } from './job-handlers';
import { inJobSpan } from './job-span';
import { QueueName, SECRET_FIELDS } from './job-registry';
import { Outbox, OutboxJob } from './outbox';

/**
 * Runs a BullMQ job from its outbox row: the job carries only the row id, and the payload is read
 * from PostgreSQL here, so nothing a job needs (a reset token included) rests in Redis. A job whose
 * row is done (a redelivered copy) is skipped, and the row is marked done before BullMQ marks the
 * job completed.
 */
@Injectable()
export class JobExecutor {
  constructor(
    private readonly outbox: Outbox,
    private readonly handlers: JobHandlers,
    private readonly metrics: Metrics,
  ) {}

  async run(jobId: string): Promise<void> {
    const job = await this.outbox.startRun(jobId);
    if (job) await inJobSpan(job, () => this.execute(job));
  }

  private async execute(job: OutboxJob): Promise<void> {
    const stop = this.metrics.jobDuration.startTimer({ queue: job.queue, name: job.name });
    try {
      // A failed row keeps no secret: retrying it cannot rebuild the mail that needed one.
      const cleared = ((SECRET_FIELDS[job.name] ?? []) as readonly string[]).filter((field) => !(field in job.payload));
      if (cleared.length > 0) throw new UnrecoverableError(`Its ${cleared.join(', ')} was cleared when the job failed; request a new one`);
      await this.handlers.get(job.queue as QueueName)(job.name, job.payload, job.id);
      stop({ outcome: 'completed' });
    } catch (error) {
      stop({ outcome: 'failed' });
      throw error;
    }
    await this.outbox.markDone(job.id);
  }

  markFailed(jobId: string, error: string, attempts: number): Promise<void> {
    return this.outbox.markFailed(jobId, error, attempts);
  }
}
