import type { WorkerOptions } from 'bullmq';
import type { Environment } from '../config/environment';
import { tracingState } from '../tracing/tracing-state';

/**
 * Options of every BullMQ worker. `@Processor()` takes them when the class is declared, before the
 * environment is read, so it receives this object and the worker module fills it from the
 * validated environment before Nest creates the workers.
 */
export const workerOptions: Partial<WorkerOptions> = {};

export function configureWorkers(env: Environment): void {
  Object.assign(workerOptions, {
    concurrency: env.workerConcurrency,
    // A worker that dies mid-job loses its lock after this long; another worker then retries the job.
    lockDuration: env.workerLockDurationMs,
    stalledInterval: env.workerLockDurationMs,
    maxStalledCount: 3,
    // When tracing is on: BullMQ's span per job run, continuing the hand-over's producer span.
    telemetry: tracingState.bullmqTelemetry,
  } satisfies Partial<WorkerOptions>);
}
