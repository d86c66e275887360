import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { IdempotencyClaim } from './idempotency-claim';

/** Keys older than this are forgotten: the same key then starts a new request. */
export const IDEMPOTENCY_RETENTION = '24 hours';
const RETENTION = IDEMPOTENCY_RETENTION;
/**
 * A record without a response was left by a v1 process (which claimed before working); after this
 * long its claim is treated as abandoned, even during a rolling deploy.
 */
const V1_CLAIM_LEASE = '30 seconds';

/** The key was already answered: the stored response is replayed, and the work in progress is rolled back. */
export class IdempotentReplay extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super('This Idempotency-Key was already answered.');
  }
}

export class IdempotencyKeyInFlightException extends ConflictException {
  readonly retryAfterSeconds = 1;

  constructor() {
    super('A request with this Idempotency-Key is still in progress.');
  }
}

interface StoredKey {
  held: boolean;
  request_hash: string | null;
  response_status: number | null;
  response_body: string | null;
  expired: boolean | null;
  abandoned: boolean | null;
}

/**
 * Idempotency keys in PostgreSQL, claimed and answered inside the transaction that does the work.
 *
 * The claim is a transaction-scoped advisory lock on (caller, key): a concurrent request with the
 * same key cannot take it and is told 409 at once; the record — request hash and response — is
 * inserted in the same transaction as the work. So the work and its stored response commit
 * together or not at all: a crash or a lost connection after the commit replays, one before it
 * leaves nothing. A claim lives exactly as long as its transaction: PostgreSQL ends it the moment
 * the process holding it dies (its connection closes), or after `idle_in_transaction_session_timeout`
 * (30 s, `database-options.ts`) if the process went silent instead.
 */
@Injectable()
export class IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in a transaction that claims `claim`'s key first and stores the response with the work. */
  async transaction<T>(claim: IdempotencyClaim | undefined, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      if (claim) await this.claim(manager, claim);
      const response = await work(manager);
      if (claim) await this.record(manager, claim, response);
      return response;
    });
  }

  /** Takes the key for this transaction, or throws why not: replay, another body (422), in flight (409). */
  private async claim(manager: EntityManager, claim: IdempotencyClaim): Promise<void> {
    const [stored] = (await manager.query(
      `SELECT pg_try_advisory_xact_lock(hashtext($1::uuid::text), hashtext($2)) AS held, k.request_hash, k.response_status, k.response_body,
              k.created_at < now() - interval '${RETENTION}' AS expired, k.created_at < now() - interval '${V1_CLAIM_LEASE}' AS abandoned
       FROM (VALUES (1)) AS one LEFT JOIN idempotency_keys k ON k.user_id = $1 AND k.key = $2`,
      [claim.scope, claim.key],
    )) as StoredKey[];
    if (!stored.held) throw new IdempotencyKeyInFlightException();
    if (stored.request_hash === null || stored.expired) return;
    if (stored.request_hash !== claim.requestHash) {
      throw new UnprocessableEntityException('This Idempotency-Key was already used with a different request body.');
    }
    if (stored.response_status !== null) throw new IdempotentReplay(stored.response_status, stored.response_body ?? 'null');
    if (!stored.abandoned) throw new IdempotencyKeyInFlightException();
  }

  /**
   * Stores the response with the work. A record committed by a request that held the key just
   * before this one took it (the claim's lookup could not see it yet) wins: this one rolls back
   * and its client, retrying, gets that response.
   */
  private async record(manager: EntityManager, claim: IdempotencyClaim, body: unknown): Promise<void> {
    const stored = (await manager.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
             response_body = EXCLUDED.response_body, created_at = now()
         WHERE idempotency_keys.response_status IS NULL OR idempotency_keys.created_at < now() - interval '${RETENTION}'
       RETURNING 1`,
      [claim.scope, claim.key, claim.requestHash, claim.status, JSON.stringify(body ?? null)],
    )) as unknown[];
    if (stored.length === 0) throw new IdempotencyKeyInFlightException();
    claim.recorded = true;
  }
}
