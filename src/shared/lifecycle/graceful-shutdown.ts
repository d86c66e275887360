import { INestApplicationContext, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { stopTracing } from '../tracing/tracing-state';

const logger = new Logger('Shutdown');

/**
 * On SIGTERM/SIGINT: run `beforeClose` (e.g. report not-ready, wait for the load balancer to
 * notice, drain the HTTP server), then close the application — Nest's shutdown hooks close pools,
 * Redis and the outbox relay — and exit 0, as Kubernetes expects. A second signal or a hung close
 * exits at once with a failure code.
 */
export function closeOnSignals(
  app: INestApplicationContext,
  options: { beforeClose?: () => Promise<void>; timeoutMs?: number; exitCodeOnTimeout?: number } = {},
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    logger.log(`${signal} received: shutting down`);
    const timer = setTimeout(() => {
      logger.error('Shutdown did not finish in time: exiting');
      process.exit(options.exitCodeOnTimeout ?? 1);
    }, options.timeoutMs ?? 30_000);
    timer.unref();
    void (async () => {
      try {
        await options.beforeClose?.();
        await app.close();
        // The spans of the last requests and jobs are still buffered: sent now (nothing when tracing is off).
        await stopTracing();
        logger.log('Pools, Redis and background work closed: exiting');
        process.exit(0);
      } catch (error) {
        logger.error(`Shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Once `closing()` turns true, every response asks its client to close the connection: a kept-alive
 * connection would otherwise outlive the request it carried (Node keeps it open until its idle
 * timeout, 72 s in Fastify), holding the server's close open, and a client reusing it would meet
 * a server that has stopped answering.
 */
export function closeConnectionsWhen(app: NestFastifyApplication, closing: () => boolean): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (_request, reply, payload, done) => {
      if (closing()) void reply.header('connection', 'close');
      done(null, payload);
    });
}

/**
 * Stops accepting connections and waits for the requests in flight to be answered. Call it before
 * `app.close()`: Nest runs every `onModuleDestroy` and `beforeApplicationShutdown` hook (the cache
 * disconnects its Redis client in one) before it closes its HTTP server, so with the server closed
 * first no request runs while any provider is closing. Nest's own close then finds it closed.
 */
export async function closeHttpServer(app: NestFastifyApplication): Promise<void> {
  await app.getHttpAdapter().getInstance().close();
  logger.log('HTTP server closed: requests in flight were answered');
}
