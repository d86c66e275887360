import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { JobExecutor } from '../shared/queue/job-executor';
import { isPermanentFailure } from '../shared/queue/job-registry';
import { workerOptions } from '../shared/queue/worker-options';

/**
 * The worker side of the `mail` queue (only the worker process registers it). A job carries only
 * its outbox id; the executor reads the payload from PostgreSQL and runs the mail handler.
 */
@Processor('mail', workerOptions)
export class MailProcessor extends WorkerHost {
  private readonly logger = new Logger(MailProcessor.name);

  constructor(private readonly executor: JobExecutor) {
    super();
  }

  process(job: Job): Promise<void> {
    return this.executor.run(job.id!);
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job) return;
    const final = isPermanentFailure(error) || job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(`${job.name} ${job.id} attempt ${job.attemptsMade} failed${final ? ' for good' : ''}: ${error.message}`);
    if (final) await this.executor.markFailed(job.id!, error.message, job.attemptsMade);
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`Worker connection: ${error.message}`);
  }
}
