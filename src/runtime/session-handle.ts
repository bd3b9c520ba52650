import type { Inspector } from '../inspect/live.js';
import type { SessionEvent } from '../machines/session.js';
import type { OrchestratorDecision, Usage } from '../protocol/index.js';
import type { SessionConfirmations } from './confirmations.js';
import type { SessionBus } from './recorder.js';
import type { SessionActor } from './run-session.js';

/** What a running session offers the CLI, the server and the terminal UI. */
export interface SessionSummary {
  sessionId: string;
  sessionDir: string;
  state: string;
  tier: number;
  tierReason: string;
  decisions: OrchestratorDecision[];
  tokens: Record<string, Usage>;
  escalation?: { reason: string; suggestions: string[] } | undefined;
  question?: string | undefined;
  failure?: string | undefined;
}

export interface SessionHandle {
  sessionId: string;
  sessionDir: string;
  actor: SessionActor;
  bus: SessionBus;
  send(event: SessionEvent): void;
  /** Commands waiting for the user's confirmation (asked by the guard hook). */
  confirmations: SessionConfirmations;
  /** The live inspection records of every actor (the inspector WebSocket subscribes here). */
  inspector: Inspector;
  /** Resolves when the session ends or waits for the user (escalated, clarification, paused). */
  settled(): Promise<SessionSummary>;
  /** Stops the actor (agents are stopped), commits what is pending and gives up the lease. */
  close(): void;
  /**
   * close(), but before the log is closed it waits for the agents the stop signalled to exit
   * (up to `timeoutMs`, by default their kill grace and a margin; or until `giveUp` settles):
   * their exits belong in the session's history. `onWaiting` hears once if that takes over a second.
   */
  shutdown(options?: { timeoutMs?: number; giveUp?: Promise<unknown>; onWaiting?: (runs: number) => void }): Promise<void>;
}

export type ResumeError = { kind: 'unknown' | 'finished' | 'leased' | 'incompatible' | 'sandbox'; message: string };
