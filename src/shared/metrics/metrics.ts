import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration-histogram';

/**
 * Every Prometheus series of one process (API or worker). Instruments that read state at scrape
 * time (pool, cache, queues, outbox) are registered by the module that owns that state.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new RequestDurationHistogram(
    'http_request_duration_seconds',
    'HTTP request latency by method, route template and status code',
    [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    this.registry,
  );

  /**
   * The histogram's request counts under their own name, copied when Prometheus scrapes rather
   * than counted a second time on every request.
   */
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
    collect: () => {
      this.httpRequests.reset();
      for (const { labels, count } of this.httpDuration.counts()) this.httpRequests.inc(labels, count);
    },
  });

  readonly jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Background job run time by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** One served request; `route` is the matched route's template (`undefined`: none matched). */
  recordRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    this.httpDuration.observe(method, route ?? 'unmatched', status, seconds);
  }

  /** A gauge whose value is read when Prometheus scrapes. */
  gauge<Label extends string>(name: string, help: string, labelNames: Label[], read: (gauge: Gauge<Label>) => Promise<void> | void): void {
    new Gauge<Label>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await read(this);
      },
    });
  }
}
