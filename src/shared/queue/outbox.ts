import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { currentTraceCarrier, TraceCarrier } from '../tracing/trace-context';
import { JOB_QUEUE, JobName, JobPayloads, SECRET_PAYLOAD_FIELDS } from './job-registry';

/**
 * A job as stored in the `outbox` table. States:
 *
 *   pending ──relay──▶ enqueued ──job completes──▶ done
 *      ▲                  │  ├───retries exhausted / permanent error──▶ failed
 *      │                  │  └───job removed from the queue (dashboard)──▶ failed
 *      │                  ◀───────── dashboard retry of a failed job ─────────┘
 *      └── in-process retry (embedded mode) or stale in-process claim
 *
 * `pending`: committed with the change that caused it, not yet handed to a queue.
 * `enqueued`: handed to BullMQ (job id = row id, job data only `{ outboxId }`) or claimed by the
 *   in-process runner. If it stays here past OUTBOX_REDELIVER_AFTER_MS, the relay hands it over
 *   again; BullMQ drops the copy when the job still exists, so only a job that Redis lost is run again.
 * `trace_context`: the W3C trace context of the transaction that recorded the row (NULL untraced);
 *   the relay links its hand-over to it and the job continues that trace.
 * `done` / `failed`: finished; kept for inspection. The payload is cleared on `done` and its secret
 *   fields on `failed`, so a secret (a reset token) rests nowhere once its mail is sent or given up.
 *   A `failed` row whose job is retried in the dashboard goes back to `enqueued` when the job runs;
 *   a job removed in the dashboard fails its row (`last_error` says so) instead of being re-offered.
 */
export interface OutboxJob {
  id: string;
  queue: string;
  name: JobName;
  payload: JobPayloads[JobName];
  attempts: number;
  traceContext: TraceCarrier | null;
}

const ROW_COLUMNS = `id, queue, name, payload, attempts, trace_context AS "traceContext"`;

const TRANSACTION_FLAG = 'orderly:outbox-recorded';

@Injectable()
export class Outbox {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a job in the caller's transaction: it exists if, and only if, that transaction commits. */
  async add<Name extends JobName>(manager: EntityManager, name: Name, payload: JobPayloads[Name]): Promise<string> {
    const traceContext = currentTraceCarrier();
    const [row] = (await manager.query(`INSERT INTO outbox (queue, name, payload, trace_context) VALUES ($1, $2, $3, $4) RETURNING id`, [
      JOB_QUEUE[name],
      name,
      JSON.stringify(payload),
      traceContext && JSON.stringify(traceContext),
    ])) as { id: string }[];
    if (manager.queryRunner) manager.queryRunner.data = { ...manager.queryRunner.data, [TRANSACTION_FLAG]: true };
    return row.id;
  }

  static recordedIn(data: Record<string, unknown> | undefined): boolean {
    return data?.[TRANSACTION_FLAG] === true;
  }

  /**
   * Locks up to `limit` due pending rows (skipping rows another process holds), lets `handOver`
   * deliver them, and marks them enqueued in the same transaction: if the hand-over throws
   * (Redis down), the rows stay pending for the next sweep.
   */
  async claimPending(limit: number, handOver: (jobs: OutboxJob[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const jobs = (await manager.query(
        `SELECT ${ROW_COLUMNS} FROM outbox
         WHERE status = 'pending' AND available_at <= now()
         ORDER BY available_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      )) as OutboxJob[];
      if (jobs.length === 0) return 0;
      await handOver(jobs);
      await manager.query(`UPDATE outbox SET status = 'enqueued', enqueued_at = now() WHERE id = ANY($1)`, [jobs.map((job) => job.id)]);
      return jobs.length;
    });
  }

  /** Rows enqueued long ago and not finished: their job may have been lost (Redis restart, crash mid-run). */
  async claimStale(olderThanMs: number, limit: number, handOver: (jobs: OutboxJob[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const jobs = (await manager.query(
        `SELECT ${ROW_COLUMNS} FROM outbox
         WHERE status = 'enqueued' AND enqueued_at < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY enqueued_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [olderThanMs, limit],
      )) as OutboxJob[];
      if (jobs.length === 0) return 0;
      await handOver(jobs);
      await manager.query(`UPDATE outbox SET enqueued_at = now() WHERE id = ANY($1)`, [jobs.map((job) => job.id)]);
      return jobs.length;
    });
  }

  /** Back to pending (in-process runner): a stale claim, or a retry after `delayMs`. */
  async release(id: string, options: { delayMs: number; error?: string; countAttempt: boolean }): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox SET status = 'pending', available_at = now() + make_interval(secs => $2::double precision / 1000),
         attempts = attempts + $3, last_error = COALESCE($4, last_error)
       WHERE id = $1 AND status = 'enqueued'`,
      [id, options.delayMs, options.countAttempt ? 1 : 0, options.error ?? null],
    );
  }

  /**
   * The row a BullMQ job refers to, read when the job runs: the payload lives only here. `null` when
   * there is nothing to run (done, or purged). A `failed` row is reopened: BullMQ only runs a failed
   * job again when someone retried it (the dashboard's "Retry").
   */
  async startRun(id: string): Promise<OutboxJob | null> {
    const [row] = (await this.dataSource.query(`SELECT ${ROW_COLUMNS}, status FROM outbox WHERE id = $1`, [id])) as (OutboxJob & {
      status: string;
    })[];
    if (!row) return null;
    const { status, ...job } = row;
    if (status === 'done') return null;
    if (status === 'failed') {
      await this.dataSource.query(
        `UPDATE outbox SET status = 'enqueued', enqueued_at = now(), completed_at = NULL WHERE id = $1 AND status = 'failed'`,
        [id],
      );
    }
    return job;
  }

  async markDone(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox SET status = 'done', completed_at = now(), payload = '{}'::jsonb, attempts = attempts + 1 WHERE id = $1`,
      [id],
    );
  }

  async markFailed(id: string, error: string, attempts: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox SET status = 'failed', completed_at = now(), last_error = $2, attempts = $3, payload = payload - $4::text[]
       WHERE id = $1 AND status <> 'done'`,
      [id, error.slice(0, 2000), attempts, SECRET_PAYLOAD_FIELDS],
    );
  }

  /** Its job was removed from the queue on purpose (the dashboard): finished, never re-offered. */
  async markRemoved(id: string): Promise<boolean> {
    const [rows] = (await this.dataSource.query(
      `UPDATE outbox SET status = 'failed', completed_at = now(), last_error = 'removed from the queue dashboard',
         payload = payload - $2::text[]
       WHERE id = $1 AND status IN ('pending', 'enqueued') RETURNING id`,
      [id, SECRET_PAYLOAD_FIELDS],
    )) as [{ id: string }[], number];
    return rows.length > 0;
  }

  async backlog(): Promise<Record<'pending' | 'enqueued' | 'failed', number>> {
    const rows = (await this.dataSource.query(
      `SELECT status, count(*)::int AS count FROM outbox WHERE status <> 'done' GROUP BY status`,
    )) as { status: 'pending' | 'enqueued' | 'failed'; count: number }[];
    const backlog = { pending: 0, enqueued: 0, failed: 0 };
    for (const row of rows) backlog[row.status] = row.count;
    return backlog;
  }
}
