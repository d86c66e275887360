import { ConflictException, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { IdempotencyClaim } from './idempotency-claim';

export type IdempotencyBegin =
  | { state: 'claimed'; claim: IdempotencyClaim }
  | { state: 'replay'; status: number; body: string }
  | { state: 'in-flight'; retryAfterSeconds: number }
  | { state: 'mismatch' };

/**
 * When a claim's lease ends. Claims made before leases existed (a v1 process, also during a rolling
 * deploy) have none: they get the longest lease a claim can have, counted from their creation.
 */
const LEASE_END = (table: string) => `coalesce(${table}.lease_expires_at, ${table}.created_at + interval '30 seconds')`;

/** Keys older than this are forgotten: the same key then starts a new request. */
const RETENTION = '24 hours';

/**
 * Idempotency records in PostgreSQL, so every API process sees them and they survive a Redis
 * outage. The primary key (scope, key) decides races: of two concurrent first requests, one claims
 * the key and runs; the other finds it in flight.
 *
 * A claim is a lease with a token. The response is stored by {@link settle} in the handler's own
 * transaction, fenced by that token, so "the work committed" and "the response is stored" are one
 * fact: a crash after the commit replays, a crash before it leaves nothing. A claim whose process
 * died is taken over once its lease has run out; the old holder, if it was only slow, then fails
 * its fence and rolls back instead of doing the work twice.
 */
@Injectable()
export class IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  async begin(scope: string, key: string, requestHash: string, status: number, leaseSeconds: number): Promise<IdempotencyBegin> {
    const token = randomUUID();
    const claimed = (await this.dataSource.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, lease_token, lease_expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       ON CONFLICT (user_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, lease_token = EXCLUDED.lease_token, lease_expires_at = EXCLUDED.lease_expires_at,
             response_status = NULL, response_body = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - interval '${RETENTION}'
            OR (idempotency_keys.response_status IS NULL AND ${LEASE_END('idempotency_keys')} < now())
       RETURNING 1`,
      [scope, key, requestHash, token, leaseSeconds],
    )) as unknown[];
    if (claimed.length > 0) return { state: 'claimed', claim: new IdempotencyClaim(scope, key, token, status) };
    const [record] = (await this.dataSource.query(
      `SELECT request_hash, response_status, response_body,
              greatest(1, ceil(extract(epoch FROM ${LEASE_END('idempotency_keys')} - now())))::int AS retry_after
       FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
      [scope, key],
    )) as { request_hash: string; response_status: number | null; response_body: string | null; retry_after: number | null }[];
    if (!record) return this.begin(scope, key, requestHash, status, leaseSeconds);
    if (record.request_hash !== requestHash) return { state: 'mismatch' };
    if (record.response_status === null) return { state: 'in-flight', retryAfterSeconds: record.retry_after ?? 1 };
    return { state: 'replay', status: record.response_status, body: record.response_body ?? 'null' };
  }

  /**
   * Stores the response in the caller's transaction, if the claim is still this request's: commit
   * or roll back, the work and its stored response go together. A lost lease is a 409 that rolls
   * the work back (another request owns the key now).
   */
  async settle(manager: EntityManager, claim: IdempotencyClaim, body: unknown): Promise<void> {
    const stored = (await manager.query(
      `UPDATE idempotency_keys SET response_status = $4, response_body = $5
       WHERE user_id = $1 AND key = $2 AND lease_token = $3 AND response_status IS NULL RETURNING 1`,
      [claim.scope, claim.key, claim.token, claim.status, JSON.stringify(body ?? null)],
    )) as [unknown[], number];
    if (stored[0].length === 0) throw new ConflictException('This Idempotency-Key was taken over by a retry after its lease ran out.');
    claim.settled = true;
  }

  /** For a handler that did not store its response itself: stored on its own, after the work. */
  async settleAlone(claim: IdempotencyClaim, body: unknown): Promise<void> {
    await this.settle(this.dataSource.manager, claim, body);
  }

  /**
   * The request failed: free the key so the client's retry runs again. Only a claim this request
   * still holds and that has no stored response is freed — a response committed with the work is
   * never released, even if the commit's acknowledgement was lost.
   */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND lease_token = $3 AND response_status IS NULL`,
      [claim.scope, claim.key, claim.token],
    );
  }

  async purgeExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE created_at < now() - interval '${RETENTION}'`);
  }
}
