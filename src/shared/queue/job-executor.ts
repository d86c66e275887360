import { Injectable } from '@nestjs/common';
import { Outbox } from './outbox';

/**
 * Wraps a BullMQ job run with the outbox bookkeeping: a job whose row is already finished (a
 * redelivered copy) is skipped, and the row is marked done before BullMQ marks the job completed.
 */
@Injectable()
export class JobExecutor {
  constructor(private readonly outbox: Outbox) {}

  async run(jobId: string, work: () => Promise<void>): Promise<void> {
    if (await this.outbox.isFinished(jobId)) return;
    await work();
    await this.outbox.markDone(jobId);
  }

  markFailed(jobId: string, error: string, attempts: number): Promise<void> {
    return this.outbox.markFailed(jobId, error, attempts);
  }
}
