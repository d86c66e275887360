import { Injectable } from '@nestjs/common';
import type { JobPayloads, QueueName } from './job-registry';

/** Runs one job of a queue; `jobId` is the outbox id (stable across retries and redeliveries). */
export type JobHandler = (name: keyof JobPayloads, payload: JobPayloads[keyof JobPayloads], jobId: string) => Promise<void>;

/**
 * Which code runs the jobs of each queue. Domain modules register here; the BullMQ processors in
 * the worker and the in-process runner of embedded mode both dispatch through it, so a job has one
 * implementation whichever process runs it.
 */
@Injectable()
export class JobHandlers {
  private readonly handlers = new Map<QueueName, JobHandler>();

  register(queue: QueueName, handler: JobHandler): void {
    this.handlers.set(queue, handler);
  }

  get(queue: QueueName): JobHandler {
    const handler = this.handlers.get(queue);
    if (!handler) throw new Error(`No handler registered for queue "${queue}"`);
    return handler;
  }
}
