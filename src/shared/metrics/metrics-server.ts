import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { Metrics } from './metrics';

/**
 * `GET /metrics` on METRICS_PORT, when set: a listener of its own, so the scrape endpoint is not
 * exposed where the API (PORT) or the worker's probes (WORKER_PORT) are. Without METRICS_PORT it
 * does nothing and /metrics stays where it was.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | undefined;

  constructor(
    @Inject(ENVIRONMENT) private readonly env: Environment,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.env.metricsPort === undefined) return;
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.env.metricsPort, this.env.host, resolve);
    });
    this.server = server;
    this.logger.log(`Metrics on port ${(server.address() as { port: number }).port} (/metrics)`);
  }

  async onApplicationShutdown(): Promise<void> {
    // Last: Prometheus may scrape while the process drains.
    const server = this.server;
    if (!server) return;
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeIdleConnections();
    });
  }
}
