import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { JobExecutor } from '../shared/queue/job-executor';
import { isPermanentFailure } from '../shared/queue/job-registry';
import { workerOptions } from '../shared/queue/worker-options';
import { MailSender } from './mail-sender';
import type { MailJobName } from './templates';

/** The worker side of the `mail` queue (only the worker process registers it). */
@Processor('mail', workerOptions)
export class MailProcessor extends WorkerHost {
  private readonly logger = new Logger(MailProcessor.name);

  constructor(
    private readonly sender: MailSender,
    private readonly executor: JobExecutor,
  ) {
    super();
  }

  process(job: Job): Promise<void> {
    return this.executor.run({ id: job.id!, queue: 'mail', name: job.name }, () =>
      this.sender.send(job.name as MailJobName, job.data, job.id!),
    );
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
