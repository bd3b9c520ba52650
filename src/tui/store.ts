import type { LogEntry } from '../persistence/types.js';
import { applyEntries, type SessionView } from '../view/index.js';
import { INITIAL_UI, type UiState } from './keys.js';

/** Everything the components read, through `useView`. */
export interface TuiState {
  view: SessionView;
  ui: UiState;
  /** Wall clock (ms) for "time since last activity"; ticks once a second. */
  now: number;
  color: boolean;
  readOnly?: string | undefined;
  keepAlive: boolean;
  rows: number;
  columns: number;
}

export interface TuiStore {
  getState: () => TuiState;
  subscribe: (listener: () => void) => () => void;
  /** Log entries in; applied and shown at most once per `intervalMs`, however many arrive. */
  push: (entries: readonly LogEntry[]) => void;
  /** UI changes (keys, resize) are shown at once: input must feel immediate even during a flood. */
  update: (patch: Partial<Pick<TuiState, 'ui' | 'rows' | 'columns'>>) => void;
  /** How many times listeners were told: each is at most one render. */
  notifications: () => number;
  dispose: () => void;
}

export interface TuiStoreOptions {
  view: SessionView;
  color: boolean;
  readOnly?: string | undefined;
  keepAlive?: boolean;
  rows?: number;
  columns?: number;
  /** Batching window for log entries (default 100 ms: at most ~10 view updates a second). */
  intervalMs?: number;
  /** Clock tick (default 1000 ms; 0 turns it off, for tests). */
  tickMs?: number;
  clock?: () => number;
}

export function createTuiStore(o: TuiStoreOptions): TuiStore {
  const clock = o.clock ?? Date.now;
  const intervalMs = o.intervalMs ?? 100;
  let state: TuiState = { view: o.view, ui: INITIAL_UI, now: clock(), color: o.color, readOnly: o.readOnly, keepAlive: o.keepAlive ?? false, rows: o.rows ?? 30, columns: o.columns ?? 100 };
  const listeners = new Set<() => void>();
  let pending: LogEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let told = 0;
  const notify = (): void => {
    told++;
    for (const l of listeners) l();
  };
  const flush = (): void => {
    timer = undefined;
    const batch = pending;
    pending = [];
    const view = applyEntries(state.view, batch);
    if (view === state.view) return;
    state = { ...state, view, now: clock() };
    notify();
  };
  const tick = o.tickMs === 0 ? undefined : setInterval(() => {
    state = { ...state, now: clock() };
    notify();
  }, o.tickMs ?? 1000);
  tick?.unref();
  return {
    getState: () => state,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push: (entries) => {
      for (const e of entries) pending.push(e);
      timer ??= setTimeout(flush, intervalMs);
    },
    update: (patch) => {
      state = { ...state, ...patch };
      notify();
    },
    notifications: () => told,
    dispose: () => {
      if (timer) clearTimeout(timer);
      if (tick) clearInterval(tick);
      listeners.clear();
    },
  };
}
