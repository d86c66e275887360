import { ExclusiveRunner } from './exclusive-runner';

/**
 * Embedded mode: one process owns the embedded database, so exclusion within the process is
 * exclusion everywhere. (A PostgreSQL advisory lock would add nothing on PGlite's single session.)
 * Held until the work ends, however long, like the Redlock runner's extended lock; the signal
 * never aborts, since nothing can take the lock away.
 */
export class LocalExclusiveRunner extends ExclusiveRunner {
  private readonly running = new Set<string>();

  async run(name: string, _ttlMs: number, work: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
    if (this.running.has(name)) return false;
    this.running.add(name);
    try {
      await work(new AbortController().signal);
      return true;
    } finally {
      this.running.delete(name);
    }
  }
}
