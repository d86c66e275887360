import './shared/tracing/preload-worker';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MailProcessor } from './mail/mail.processor';
import { loadEnvironmentOrExit } from './shared/config/load-environment-or-exit';
import { closeOnSignals } from './shared/lifecycle/graceful-shutdown';
import { createRootLogger, PinoLoggerService } from './shared/logging/logger';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const env = loadEnvironmentOrExit();
  if (!env.redisUrl) {
    process.stderr.write('REDIS_URL is required for the worker process (without it, `npm start` runs jobs in-process)\n');
    process.exit(78);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.register(env), {
    logger: new PinoLoggerService(createRootLogger(env)),
  });
  // The BullMQ worker stops taking jobs and waits for running ones BEFORE the app closes: Nest's
  // shutdown hooks close the database pool and Redis in an order of their own, and a running job
  // needs both to finish. Past the grace period the process exits; jobs still running are stalled
  // and another worker retries them.
  const started = app.init();
  closeOnSignals(app, {
    beforeClose: async () => {
      await started; // the worker exists once the app has initialised
      await app.get(MailProcessor).worker.close();
    },
    timeoutMs: env.workerShutdownGraceMs,
    exitCodeOnTimeout: 0,
  });
  await started;
  new Logger('Worker').log(`Worker running mail jobs, concurrency ${env.workerConcurrency}`);
}

void bootstrap();
