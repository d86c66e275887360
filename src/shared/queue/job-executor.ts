import { Injectable } from '@nestjs/common';
import { Metrics } from '../metrics/metrics';
import { Outbox } from './outbox';

/**
 * Wraps a BullMQ job run with the outbox bookkeeping: a job whose row is already finished (a
 * redelivered copy) is skipped, and the row is marked done before BullMQ marks the job completed.
 */
@Injectable()
export class JobExecutor {
  constructor(
    private readonly outbox: Outbox,
    private readonly metrics: Metrics,
  ) {}

  async run(job: { id: string; queue: string; name: string }, work: () => Promise<void>): Promise<void> {
    if (await this.outbox.isFinished(job.id)) return;
    const stop = this.metrics.jobDuration.startTimer({ queue: job.queue, name: job.name });
    try {
      await work();
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
