import { Global, Inject, Module, OnModuleInit, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppCache } from '../cache/app-cache';
import { Outbox } from '../queue/outbox';
import { OutboxRelay } from '../queue/outbox-relay';
import { Metrics } from './metrics';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** The process's metrics and the scrape-time readings of shared infrastructure. */
@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly relay: OutboxRelay,
    @Optional() @Inject(AppCache) private readonly cache?: AppCache,
  ) {}

  onModuleInit(): void {
    const pool = () => (this.dataSource.driver as unknown as { master?: PgPool }).master;
    this.metrics.gauge('db_pool_connections', 'Database pool connections by state', ['state'], (gauge) => {
      const current = pool();
      if (!current) return;
      gauge.set({ state: 'in_use' }, current.totalCount - current.idleCount);
      gauge.set({ state: 'idle' }, current.idleCount);
      gauge.set({ state: 'waiting' }, current.waitingCount);
    });
    this.metrics.gauge('outbox_jobs', 'Outbox rows not yet done, by status', ['status'], async (gauge) => {
      const backlog = await this.outbox.backlog().catch(() => undefined);
      if (!backlog) return;
      for (const [status, count] of Object.entries(backlog)) gauge.set({ status }, count);
    });
    this.metrics.gauge('queue_jobs', 'BullMQ jobs by queue and state', ['queue', 'state'], async (gauge) => {
      for (const { queue, counts } of await this.relay.queueCounts().catch(() => [])) {
        for (const [state, count] of Object.entries(counts)) gauge.set({ queue, state }, count);
      }
    });
    if (this.cache) {
      const stats = this.cache.stats;
      this.metrics.gauge('cache_requests', 'Cache lookups since start, by cache and result (hit, miss)', ['cache', 'result'], (gauge) => {
        for (const [cache, counts] of stats.lookups) {
          gauge.set({ cache, result: 'hit' }, counts.hits);
          gauge.set({ cache, result: 'miss' }, counts.misses);
        }
      });
      this.metrics.gauge('cache_errors', 'Cache commands that failed since start (each read as a miss)', [], (gauge) =>
        gauge.set(stats.errors),
      );
    }
  }
}
