import { MemoryCounterStore } from './memory-counter-store';

describe('MemoryCounterStore', () => {
  it('counts hits within a window, resets on demand and reopens after expiry', async () => {
    vi.useFakeTimers();
    try {
      const store = new MemoryCounterStore();
      await store.hit('k', 1_000);
      expect((await store.hit('k', 1_000)).count).toBe(2);
      expect((await store.peek('k')).count).toBe(2);
      vi.advanceTimersByTime(1_001);
      expect((await store.peek('k')).count).toBe(0);
      expect((await store.hit('k', 1_000)).count).toBe(1);
      await store.reset('k');
      expect((await store.peek('k')).count).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes back one hit of an open window, never below zero nor in a closed window', async () => {
    vi.useFakeTimers();
    try {
      const store = new MemoryCounterStore();
      await store.hit('k', 1_000);
      await store.hit('k', 1_000);
      await store.undo('k');
      expect((await store.peek('k')).count).toBe(1);
      await store.undo('k');
      await store.undo('k');
      expect((await store.peek('k')).count).toBe(0);
      vi.advanceTimersByTime(1_001);
      await store.undo('k');
      expect((await store.hit('k', 1_000)).count).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
