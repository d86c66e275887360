import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export type IdempotencyBegin =
  { state: 'new' } | { state: 'replay'; status: number; body: unknown } | { state: 'in-flight' } | { state: 'mismatch' };

/** Keys older than this are forgotten: the same key then starts a new request. */
const RETENTION = '24 hours';

/**
 * Idempotency records in PostgreSQL, so every API process sees them and they survive a Redis
 * outage. The primary key (scope, key) decides races: of two concurrent first requests, one
 * inserts the record and runs; the other finds it in flight.
 */
@Injectable()
export class IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  async begin(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    const claimed = (await this.dataSource.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - interval '${RETENTION}'
       RETURNING 1`,
      [scope, key, requestHash],
    )) as unknown[];
    if (claimed.length > 0) return { state: 'new' };
    const [record] = (await this.dataSource.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
      [scope, key],
    )) as { request_hash: string; response_status: number | null; response_body: unknown }[];
    if (!record) return this.begin(scope, key, requestHash);
    if (record.request_hash !== requestHash) return { state: 'mismatch' };
    if (record.response_status === null) return { state: 'in-flight' };
    return { state: 'replay', status: record.response_status, body: record.response_body };
  }

  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.query(`UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE user_id = $1 AND key = $2`, [
      scope,
      key,
      status,
      JSON.stringify(body ?? null),
    ]);
  }

  /** The request failed: forget the key so the client's retry runs again. */
  async release(scope: string, key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND response_status IS NULL`, [scope, key]);
  }

  async purgeExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE created_at < now() - interval '${RETENTION}'`);
  }
}
