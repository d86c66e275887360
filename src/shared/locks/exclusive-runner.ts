/**
 * Runs work on one process at a time across the deployment (scheduled sweeps, for example).
 * `run` resolves `false` without running when another process holds the lock.
 */
export abstract class ExclusiveRunner {
  abstract run(name: string, ttlMs: number, work: () => Promise<void>): Promise<boolean>;
}
