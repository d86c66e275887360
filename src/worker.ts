import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
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
  // Closing the app closes the BullMQ workers, which stop taking jobs and wait for running ones.
  // Past the grace period the process exits; jobs still running are stalled and another worker retries them.
  closeOnSignals(app, { timeoutMs: env.workerShutdownGraceMs, exitCodeOnTimeout: 0 });
  await app.init();
  new Logger('Worker').log(`Worker running mail jobs, concurrency ${env.workerConcurrency}`);
}

void bootstrap();
