import { createContext, useContext, useMemo, useSyncExternalStore } from 'react';
import type { TuiState, TuiStore } from './store.js';

export const StoreContext = createContext<TuiStore | undefined>(undefined);

/**
 * The one way a component reads state: a selector over the store's current state. Components
 * re-render when the store says it changed (throttled for log floods), never on their own.
 */
export function useView<T>(selector: (s: TuiState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useView outside of a StoreContext provider');
  const state = useSyncExternalStore(store.subscribe, store.getState, store.getState);
  // The selector may build new arrays; keyed on the state object, it runs once per change.
  return useMemo(() => selector(state), [state, selector]);
}
