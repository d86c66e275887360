import type { EntityManager } from 'typeorm';

/**
 * One kind of row that stops mattering after a while (expired tokens, finished outbox rows, old
 * idempotency keys). A domain registers its own with {@link StoragePurges}; `shared/` never knows
 * what the rows are.
 */
export interface StoragePurge {
  /** Names the lock and the log lines, e.g. `refresh-tokens`. */
  readonly name: string;
  /** Deletes at most `limit` rows that can no longer matter and returns how many it deleted. */
  purgeBatch(limit: number): Promise<number>;
}

/**
 * `DELETE … WHERE ctid IN (SELECT ctid … LIMIT n)`: PostgreSQL has no `DELETE … LIMIT`, and one
 * unbounded DELETE over a large backlog would hold its row locks and bloat WAL in one transaction.
 * `condition` is SQL over the table aliased `t` (trusted, written by the registering domain).
 */
export async function deleteInBatch(
  manager: Pick<EntityManager, 'query'>,
  table: string,
  condition: string,
  limit: number,
): Promise<number> {
  const [, deleted] = (await manager.query(
    `DELETE FROM ${table} WHERE ctid IN (SELECT t.ctid FROM ${table} t WHERE ${condition} LIMIT $1)`,
    [limit],
  )) as [unknown, number];
  return deleted;
}
