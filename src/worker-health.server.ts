import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createServer, Server } from 'node:http';
import { DataSource } from 'typeorm';
import { ENVIRONMENT } from './shared/config/config.module';
import type { Environment } from './shared/config/environment';
import { Metrics } from './shared/metrics/metrics';
import { REDIS } from './shared/redis/redis.module';

/**
 * `/health/live`, `/health/ready` (Kubernetes probes) and `/metrics` (Prometheus) of the worker, on
 * WORKER_PORT; with METRICS_PORT set, `/metrics` moves there (MetricsServer) and is 404 here.
 */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHealthServer.name);
  private server: Server | undefined;
  private stopping = false;

  constructor(
    @Inject(ENVIRONMENT) private readonly env: Environment,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.server = createServer((request, response) => {
      if (request.url === '/metrics' && this.env.metricsPort === undefined) {
        void this.metrics.registry
          .metrics()
          .then((text) => response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text));
        return;
      }
      void this.answer(request.url ?? '').then((status) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status === 200 ? 'ok' : 'error' }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.env.workerPort, this.env.host, resolve));
    this.logger.log(`Worker health on port ${(this.server.address() as { port: number }).port}`);
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private async answer(url: string): Promise<number> {
    if (url === '/health/live') return 200;
    if (url !== '/health/ready') return 404;
    if (this.stopping) return 503;
    try {
      await this.dataSource.query('SELECT 1');
      await this.redis?.ping();
      return 200;
    } catch {
      return 503;
    }
  }
}
