import { Global, Inject, Module, OnModuleInit, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppCache } from '../cache/app-cache';
import { BacklogGauges } from './backlog-gauges';
import { Metrics } from './metrics';
import { MetricsServer } from './metrics-server';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * The process's metrics: in-memory readings at scrape time (pool, cache), backlog readings
 * refreshed in the background (BacklogGauges), and the METRICS_PORT listener (MetricsServer).
 */
@Global()
@Module({ providers: [Metrics, BacklogGauges, MetricsServer], exports: [Metrics] })
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly dataSource: DataSource,
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
