import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ExclusiveRunner } from '../locks/exclusive-runner';
import { IdempotencyStore } from './idempotency-store';

const HOURLY = 60 * 60 * 1000;

/** Deletes idempotency records past their 24 h, once an hour, on one process. */
@Injectable()
export class IdempotencyPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyPurger.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly exclusive: ExclusiveRunner,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.exclusive
        .run('idempotency:purge', 60_000, () => this.store.purgeExpired())
        .catch((error: Error) => this.logger.warn(`Purging idempotency keys failed: ${error.message}`));
    }, HOURLY);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
