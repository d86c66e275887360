import { Global, Module } from '@nestjs/common';
import { OutboxPurge } from './outbox-purge';
import { StoragePurges } from './storage-purges';

/**
 * Scheduled upkeep of shared storage. Domains register their own purges with `StoragePurges`
 * (auth its tokens, idempotency its keys); the outbox, shared infrastructure, is purged here.
 */
@Global()
@Module({ providers: [StoragePurges, OutboxPurge], exports: [StoragePurges] })
export class MaintenanceModule {}
