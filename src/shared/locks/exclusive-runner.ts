/**
 * Runs work on one process at a time across the deployment (scheduled sweeps and purges).
 * `run` resolves `false` without running when another process holds the lock. The lock is held
 * for `ttlMs` and extended while the work runs, so work may take longer than `ttlMs`; should the
 * lock be lost anyway (Redis unreachable past the TTL), `signal` aborts and long work stops at its
 * next checkpoint.
 */
export abstract class ExclusiveRunner {
  abstract run(name: string, ttlMs: number, work: (signal: AbortSignal) => Promise<void>): Promise<boolean>;
}
