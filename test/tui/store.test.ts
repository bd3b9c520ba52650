import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogEntry } from '../../src/persistence/types.js';
import { createTuiStore } from '../../src/tui/store.js';
import { initialView } from '../../src/view/index.js';

const entry = (seq: number): LogEntry => ({ sessionId: 's', seq, type: 'progress', agent: 'claude', workerId: 'implementer', attempt: 1, timestamp: new Date(0).toISOString(), payload: { text: `line ${seq}` } });

describe('TUI store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('batches a flood: 100 000 entries become one update per window, nothing before it', () => {
    const store = createTuiStore({ view: initialView('s'), color: false, tickMs: 0, intervalMs: 100 });
    const seen: number[] = [];
    store.subscribe(() => seen.push(store.getState().view.lastSeq));
    for (let i = 1; i <= 100_000; i++) store.push([entry(i)]);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([100_000]);
    expect(store.getState().view.log).toHaveLength(500);
    for (let i = 100_001; i <= 100_010; i++) store.push([entry(i)]);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([100_000, 100_010]);
    expect(store.notifications()).toBe(2);
    store.dispose();
  });

  it('shows UI changes at once, without waiting for the batch window', () => {
    const store = createTuiStore({ view: initialView('s'), color: false, tickMs: 0 });
    store.push([entry(1)]);
    store.update({ ui: { ...store.getState().ui, message: 'hello' } });
    expect(store.notifications()).toBe(1);
    expect(store.getState().ui.message).toBe('hello');
    expect(store.getState().view.lastSeq).toBe(0);
    store.dispose();
  });

  it('ticks the clock once a second for "time since last activity"', () => {
    let now = 0;
    const store = createTuiStore({ view: initialView('s'), color: false, clock: () => now });
    now = 5000;
    vi.advanceTimersByTime(1000);
    expect(store.getState().now).toBe(5000);
    store.dispose();
  });
});
