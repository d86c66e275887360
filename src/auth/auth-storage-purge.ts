import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deleteInBatch } from '../shared/maintenance/storage-purge';
import { StoragePurges } from '../shared/maintenance/storage-purges';

/**
 * Auth's rows that can no longer matter, purged on the shared schedule.
 *
 * Refresh tokens go by family: a rotated token must stay while its family is live, since
 * presenting it again is how a stolen copy is detected (and the live family revoked). Once no
 * token of the family is live (all revoked or expired), reuse detection has nothing left to
 * revoke and a presented token is refused either way: the whole family goes.
 *
 * Reset tokens go once used or expired: either way `reset` refuses them.
 */
@Injectable()
export class AuthStoragePurge implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly purges: StoragePurges,
  ) {}

  onModuleInit(): void {
    this.purges.register({
      name: 'refresh-tokens',
      purgeBatch: (limit) =>
        deleteInBatch(
          this.dataSource,
          'refresh_tokens',
          // refresh_tokens_family (partial, unrevoked) answers the NOT EXISTS.
          `(t.revoked_at IS NOT NULL OR t.expires_at <= now())
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens live
                           WHERE live.family_id = t.family_id AND live.revoked_at IS NULL AND live.expires_at > now())`,
          limit,
        ),
    });
    this.purges.register({
      name: 'password-reset-tokens',
      purgeBatch: (limit) =>
        deleteInBatch(this.dataSource, 'password_reset_tokens', `t.used_at IS NOT NULL OR t.expires_at <= now()`, limit),
    });
  }
}
