import { Injectable, Logger } from '@nestjs/common';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

type Callback = () => Promise<void>;

const CALLBACKS = 'orderly:after-commit';

function pending(queryRunner: QueryRunner): Callback[] {
  const data = queryRunner.data as Record<string, Callback[] | undefined>;
  return (data[CALLBACKS] ??= []);
}

/**
 * Runs `work` once the change just written through `manager` is durable: after the surrounding
 * transaction commits (never if it rolls back), or at once when the manager is not in a
 * transaction (the statement has already committed on its own). The commit awaits it, so the
 * caller's response leaves after it ran — which is what read-after-write needs from a cache.
 * `work` must not throw: the data is committed whatever it does.
 */
export async function afterCommit(manager: EntityManager, work: Callback): Promise<void> {
  const queryRunner = manager.queryRunner;
  if (queryRunner?.isTransactionActive) pending(queryRunner).push(work);
  else await work();
}

/** Fires the callbacks registered with {@link afterCommit}; registered with the DataSource once. */
@Injectable()
export class AfterCommitSubscriber implements EntitySubscriberInterface {
  private readonly logger = new Logger(AfterCommitSubscriber.name);

  constructor(dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  async afterTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    // A released savepoint also "commits"; only the outermost commit makes the change visible.
    if (queryRunner.isTransactionActive) return;
    const callbacks = pending(queryRunner).splice(0);
    for (const callback of callbacks) {
      await callback().catch((error: Error) => this.logger.error(`After-commit work failed: ${error.message}`));
    }
  }

  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    if (!queryRunner.isTransactionActive) pending(queryRunner).splice(0);
  }
}
