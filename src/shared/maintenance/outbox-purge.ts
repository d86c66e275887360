import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deleteInBatch, StoragePurge } from './storage-purge';
import { StoragePurges } from './storage-purges';

/** Finished outbox rows (`done`, `failed`) are kept a week for inspection; pending and enqueued rows stay however old. */
export const OUTBOX_RETENTION = '7 days';

@Injectable()
export class OutboxPurge implements StoragePurge, OnModuleInit {
  readonly name = 'outbox';

  constructor(
    private readonly dataSource: DataSource,
    private readonly purges: StoragePurges,
  ) {}

  onModuleInit(): void {
    this.purges.register(this);
  }

  purgeBatch(limit: number): Promise<number> {
    return deleteInBatch(
      this.dataSource,
      'outbox',
      `t.status IN ('done', 'failed') AND t.completed_at < now() - interval '${OUTBOX_RETENTION}'`,
      limit,
    );
  }
}
