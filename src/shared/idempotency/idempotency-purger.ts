import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deleteInBatch } from '../maintenance/storage-purge';
import { StoragePurges } from '../maintenance/storage-purges';
import { IDEMPOTENCY_RETENTION } from './idempotency-store';

/** Idempotency records past their 24 h, deleted on the shared purge schedule (index idempotency_keys_created). */
@Injectable()
export class IdempotencyPurger implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly purges: StoragePurges,
  ) {}

  onModuleInit(): void {
    this.purges.register({
      name: 'idempotency-keys',
      purgeBatch: (limit) =>
        deleteInBatch(this.dataSource, 'idempotency_keys', `t.created_at < now() - interval '${IDEMPOTENCY_RETENTION}'`, limit),
    });
  }
}
