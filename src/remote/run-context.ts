import type { Logger } from 'pino';
import type { PgStore } from '../persistence/postgres/store.js';
import type { LogEntryInput } from '../persistence/types.js';

/** What a run executing on a worker host may do: everything goes through its epoch's fence. */
export interface RunContext {
  store: PgStore;
  host: string;
  log: Logger;
  /** The run's epoch on this worker: a takeover bumps it and refuses this one's writes. */
  epoch: number;
  /**
   * Commits entries to the shared log under this epoch (keyed, so a retry never duplicates).
   * False once the run is lost here (refused or failed): the body is then being killed and
   * must not act on anything more.
   */
  write(entries: Omit<LogEntryInput, 'key'>[]): boolean;
  /** The run ended here (its end was committed): the row is marked done. */
  finished(): void;
}

/** A run in progress on this host. */
export interface RunBody {
  /** The session asked for a stop: stop the agent and report how it ended. */
  stop(): void;
  /** The run is lost here (taken over, unreachable store): stop at once, report nothing. */
  kill(): void;
}
