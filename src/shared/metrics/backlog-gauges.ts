import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Outbox } from '../queue/outbox';
import { OutboxRelay } from '../queue/outbox-relay';
import { Metrics } from './metrics';

/**
 * How often the backlog gauges are re-read. A scrape serves the last reading, so a scrape costs no
 * query whatever the scrape rate; each process pays one indexed count (outbox_unfinished) and a
 * few Redis counters per interval.
 */
export const BACKLOG_REFRESH_MS = 15_000;
/** After a failed reading (Redis still connecting at start-up, an outage), the next try comes sooner. */
const RETRY_MS = 500;

/** A value read in the background every BACKLOG_REFRESH_MS; a failed read keeps the last value. */
class BackgroundReading<T> {
  value: T | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Reads now (or joins the read in flight), then schedules the next one. */
  refresh(): Promise<void> {
    this.reading ??= this.read()
      .then((value) => {
        this.value = value;
        return BACKLOG_REFRESH_MS;
      })
      .catch((error: unknown) => {
        this.onError(error);
        return RETRY_MS;
      })
      .then((delay) => {
        this.reading = undefined;
        clearTimeout(this.timer);
        if (this.stopped) return;
        this.timer = setTimeout(() => void this.refresh(), delay);
        this.timer.unref();
      });
    return this.reading;
  }

  /**
   * The last value. Only until a first read has succeeded (start-up), a scrape waits for one;
   * after that a scrape never reads.
   */
  async current(): Promise<T | undefined> {
    if (this.value === undefined && !this.stopped) await this.refresh();
    return this.value;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
  }
}

/** `outbox_jobs` and `queue_jobs`, refreshed in the background rather than at scrape time. */
@Injectable()
export class BacklogGauges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BacklogGauges.name);
  private readonly outboxBacklog: BackgroundReading<Awaited<ReturnType<Outbox['backlog']>>>;
  private readonly queueCounts: BackgroundReading<Awaited<ReturnType<OutboxRelay['queueCounts']>>>;

  constructor(
    private readonly metrics: Metrics,
    outbox: Outbox,
    relay: OutboxRelay,
  ) {
    const failed = (what: string) => (error: unknown) =>
      this.logger.debug(`Reading the ${what} for /metrics failed, serving the last reading: ${String(error)}`);
    this.outboxBacklog = new BackgroundReading(() => outbox.backlog(), failed('outbox backlog'));
    this.queueCounts = new BackgroundReading(() => relay.queueCounts(), failed('queue counts'));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.gauge('outbox_jobs', 'Outbox rows not yet done, by status (refreshed in the background)', ['status'], async (gauge) => {
      for (const [status, count] of Object.entries((await this.outboxBacklog.current()) ?? {})) gauge.set({ status }, count);
    });
    this.metrics.gauge('queue_jobs', 'BullMQ jobs by queue and state (refreshed in the background)', ['queue', 'state'], async (gauge) => {
      for (const { queue, counts } of (await this.queueCounts.current()) ?? []) {
        for (const [state, count] of Object.entries(counts)) gauge.set({ queue, state }, count);
      }
    });
    await Promise.all([this.outboxBacklog.refresh(), this.queueCounts.refresh()]);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.outboxBacklog.stop(), this.queueCounts.stop()]);
  }
}
