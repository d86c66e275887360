import { CounterStore, WindowCount } from './counter-store';

interface Window {
  count: number;
  expiresAt: number;
}

/** Counters for one process (embedded mode): correct for a single API process only. */
export class MemoryCounterStore extends CounterStore {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.expiresAt <= now) {
      window = { count: 0, expiresAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetInMs: window.expiresAt - now };
  }

  async peek(key: string): Promise<WindowCount> {
    const now = Date.now();
    const window = this.windows.get(key);
    if (!window || window.expiresAt <= now) return { count: 0, resetInMs: 0 };
    return { count: window.count, resetInMs: window.expiresAt - now };
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async undo(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.expiresAt > Date.now() && window.count > 0) window.count -= 1;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 10_000;
    for (const [key, window] of this.windows) if (window.expiresAt <= now) this.windows.delete(key);
  }
}
