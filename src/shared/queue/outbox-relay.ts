import { context } from '@opentelemetry/api';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { detachedFromTrace, inSpan, linkToCarrier } from '../tracing/trace-context';
import { Outbox, OutboxJob } from './outbox';

const BATCH = 500;

/**
 * Moves committed outbox rows to where they run. It wakes right after any transaction that
 * recorded a job commits (the fast path) and every OUTBOX_SWEEP_INTERVAL_MS (rows left behind by a
 * Redis outage or a crash, and stale rows to redeliver). Wake-ups while a pass is running coalesce
 * into one more pass, so a burst of commits becomes a few batched hand-overs.
 */
@Injectable()
export abstract class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown, EntitySubscriberInterface {
  protected readonly logger = new Logger(this.constructor.name);
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private wakeAgain = false;
  private sweepDue = false;
  private stopped = false;
  private lastFailureLogged = 0;

  constructor(
    protected readonly outbox: Outbox,
    @Inject(ENVIRONMENT) protected readonly env: Environment,
    dataSource: DataSource,
  ) {
    dataSource.subscribers.push(this);
  }

  /** Delivers claimed rows; throwing leaves them pending. Runs inside the claiming transaction. */
  protected abstract handOver(jobs: OutboxJob[]): Promise<void>;

  /** Called after the claiming transaction committed (the in-process runner executes here). */
  protected async afterHandOver(_jobs: OutboxJob[]): Promise<void> {}

  protected abstract redeliverStale(): Promise<void>;

  /** Jobs per state in each queue, for metrics; empty where there is no queue (embedded mode). */
  async queueCounts(): Promise<{ queue: string; counts: Record<string, number> }[]> {
    return [];
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (Outbox.recordedIn(event.queryRunner.data)) this.wake();
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(true), this.env.outboxSweepIntervalMs);
    this.timer.unref();
    this.wake(true);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pass;
  }

  wake(sweep = false): void {
    if (sweep) this.sweepDue = true;
    if (this.stopped) return;
    if (this.pass) {
      this.wakeAgain = true;
      return;
    }
    // The commit that wakes the relay belongs to one request's trace, while a pass serves them all.
    this.pass = detachedFromTrace(() => this.run()).finally(() => (this.pass = undefined));
  }

  private async run(): Promise<void> {
    do {
      this.wakeAgain = false;
      try {
        let claimed: OutboxJob[] = [];
        do {
          claimed = [];
          await this.outbox.claimPending(BATCH, async (jobs) => {
            await this.tracedHandOver('outbox hand-over', jobs, () => this.handOver(jobs));
            claimed = jobs;
          });
          if (claimed.length > 0) await this.afterHandOver(claimed);
        } while (claimed.length === BATCH && !this.stopped);
        if (this.sweepDue) {
          this.sweepDue = false;
          await this.redeliverStale();
        }
      } catch (error) {
        this.reportFailure(error);
      }
    } while (this.wakeAgain && !this.stopped);
  }

  /**
   * One span per batch, linked to the trace of every row in it (a span has one parent, a batch
   * serves many requests); each job then continues its own request's trace as a child.
   */
  protected tracedHandOver(name: string, jobs: OutboxJob[], handOver: () => Promise<void>): Promise<void> {
    const links = jobs.flatMap((job) => linkToCarrier(job.traceContext) ?? []);
    return inSpan(name, { links, attributes: { 'orderly.outbox.jobs': jobs.length } }, context.active(), handOver);
  }

  protected reportFailure(error: unknown): void {
    if (Date.now() - this.lastFailureLogged < 10_000) return;
    this.lastFailureLogged = Date.now();
    this.logger.warn(`Outbox relay paused, rows stay pending until the next sweep: ${(error as Error).message}`);
  }
}
