/** A window counter: how many times a key was hit since its window opened, and when it closes. */
export interface WindowCount {
  count: number;
  resetInMs: number;
}

/**
 * Fixed-window counters shared by every API process (Redis) or private to one (memory).
 * Implementations fail open: an unreachable store counts nothing rather than refusing traffic.
 */
export abstract class CounterStore {
  /** Adds one hit to `key`; the window opens on the first hit and lasts `windowMs`. */
  abstract hit(key: string, windowMs: number): Promise<WindowCount>;
  abstract peek(key: string): Promise<WindowCount>;
  abstract reset(key: string): Promise<void>;
  /** Takes back one hit of the open window (nothing when it has closed); the window keeps its end. */
  abstract undo(key: string): Promise<void>;
}
