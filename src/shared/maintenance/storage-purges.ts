import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { ExclusiveRunner } from '../locks/exclusive-runner';
import type { StoragePurge } from './storage-purge';

/** Rows per DELETE: each batch is its own short transaction. */
export const PURGE_BATCH_SIZE = 1_000;
/** The lock's TTL; it is extended while a purge runs, however long that takes. */
const LOCK_TTL_MS = 60_000;
/** The first purge after start-up comes sooner than a full interval, so frequent deploys still purge. */
const FIRST_PURGE_DELAY_MS = 60_000;

/**
 * Runs every registered purge every STORAGE_PURGE_INTERVAL_MS (default hourly). Each purge runs
 * on one process at a time (its own lock, so processes that registered different purges never
 * block each other) and deletes in batches until a batch comes back short.
 */
@Injectable()
export class StoragePurges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StoragePurges.name);
  private readonly purges = new Map<string, StoragePurge>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly exclusive: ExclusiveRunner,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  register(purge: StoragePurge): void {
    if (this.purges.has(purge.name)) throw new Error(`A storage purge named ${purge.name} is already registered`);
    this.purges.set(purge.name, purge);
  }

  onApplicationBootstrap(): void {
    const tick = () => {
      this.timer = setTimeout(() => void this.purgeAll().finally(() => !this.stopped && tick()), this.env.storagePurgeIntervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(
      () => void this.purgeAll().finally(() => !this.stopped && tick()),
      Math.min(FIRST_PURGE_DELAY_MS, this.env.storagePurgeIntervalMs),
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs every purge now (where no other process is running it); returns the rows deleted per purge. */
  async purgeAll(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    const work = (async () => {
      for (const purge of this.purges.values()) {
        if (this.stopped) break;
        deleted[purge.name] = await this.purgeOne(purge).catch((error: Error) => {
          this.logger.warn(`Purging ${purge.name} failed, the next run retries: ${error.message}`);
          return 0;
        });
      }
    })();
    this.running = work;
    await work;
    return deleted;
  }

  private async purgeOne(purge: StoragePurge): Promise<number> {
    let total = 0;
    await this.exclusive.run(`storage-purge:${purge.name}`, LOCK_TTL_MS, async (signal) => {
      for (;;) {
        const deleted = await purge.purgeBatch(PURGE_BATCH_SIZE);
        total += deleted;
        // A short batch means the backlog is gone; a lost lock or a shutdown stops between batches.
        if (deleted < PURGE_BATCH_SIZE || signal.aborted || this.stopped) break;
      }
    });
    if (total > 0) this.logger.log(`Purged ${total} ${purge.name} rows`);
    return total;
  }
}
