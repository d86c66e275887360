import { INestApplicationContext, Logger } from '@nestjs/common';

const logger = new Logger('Shutdown');

/**
 * On SIGTERM/SIGINT: run `beforeClose` (e.g. report not-ready and wait for the load balancer to
 * notice), then close the application — Nest's shutdown hooks close servers, pools and Redis — and
 * exit 0, as Kubernetes expects. A second signal or a hung close exits at once with a failure code.
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
