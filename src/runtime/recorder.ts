import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { EventWriter, WriterClosedError } from '../persistence/event-writer.js';
import { ORCHESTRATOR_AGENT, type LogEntry, type LogEntryInput, type Store } from '../persistence/types.js';
import type { AgentEventInput, OrchestratorDecision, PeerReview, RecoveryAction, SessionStatus } from '../protocol/index.js';

/**
 * Published after commit, in seq order, one committed batch (one transaction) at a time: what the
 * server and the terminal UI subscribe to. Batches, not entries: with ten clients following a
 * chatty agent, a dispatch per entry per listener was a tenth of the pipeline's time.
 */
export type SessionBus = EventEmitter<{ entries: [readonly LogEntry[]] }>;

const SESSION_STATUSES = new Set<string>(['planning', 'implementing', 'finalReview', 'completed', 'paused', 'awaitingClarification', 'escalated', 'failed', 'stopped']);

/** The top-level state as a session status (`resuming` is a passing step, shown as the phase it resumes). */
export function statusOf(state: string): SessionStatus | undefined {
  const top = state.split('.')[0] ?? state;
  return SESSION_STATUSES.has(top) ? (top as SessionStatus) : undefined;
}

/**
 * Everything a session produces goes through here into the store: agent events (before the
 * machine sees them), and the orchestrator's own records (states, reviews, decisions,
 * recoveries, controls), each with its seq, then onto the bus.
 */
export class SessionRecorder {
  readonly bus: SessionBus = new EventEmitter();
  readonly writer: EventWriter;
  /** Called once when the log cannot be written: the session must stop, nothing may act on lost events. */
  onFatal: ((error: unknown) => void) | undefined;
  /** Decisions appended but maybe not committed yet. */
  private readonly decidedIds = new Set<string>();

  constructor(
    private readonly store: Store,
    readonly sessionId: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    // One listener per live client and one for the workspace copies: more than Node's default
    // of 10 is normal (ten dashboard tabs), not a leak worth a warning on stderr.
    this.bus.setMaxListeners(0);
    this.writer = new EventWriter(
      store,
      (entries) => this.bus.emit('entries', entries),
      (error, lost) => {
        if (error instanceof WriterClosedError) {
          // Kept here, in the session's own log, since the event log takes nothing more.
          log.warn({ lost: lost.map((e) => ({ type: e.type, workerId: e.workerId, timestamp: e.timestamp, payload: e.payload })) }, 'after the session was closed (agents still stopping): not in the event log');
          return;
        }
        log.fatal({ err: error, lost: lost.length }, 'event log write failed: events were not recorded');
        this.onFatal?.(error);
      },
    );
  }

  /** `then` runs once, when the last of them is committed. */
  agentEvents(events: readonly AgentEventInput[], then: () => void): void {
    // Agent runs stamp their session already: a copy per event is only made for one that did not.
    events.forEach((event, i) => this.writer.append(event.sessionId === this.sessionId ? event : { ...event, sessionId: this.sessionId }, i === events.length - 1 ? then : undefined));
  }

  note(type: string, payload: LogEntryInput['payload'], withinCommit?: () => void): void {
    this.writer.append({ sessionId: this.sessionId, type, agent: ORCHESTRATOR_AGENT, workerId: 'session', attempt: 0, timestamp: this.now().toISOString(), payload, withinCommit });
  }

  /** Records a decision once: after a restart a re-run review may decide the same id again. */
  decided(reviews: PeerReview[], decision: OrchestratorDecision): boolean {
    if (this.decidedIds.has(decision.decisionId) || this.store.decisions(this.sessionId).some((d) => d.decisionId === decision.decisionId)) {
      this.log.warn({ decisionId: decision.decisionId }, 'decision already recorded; not recording it twice');
      return false;
    }
    this.decidedIds.add(decision.decisionId);
    // The decision row and its log entry are one transaction: after a crash both exist or neither.
    const rows = (): void => {
      for (const r of reviews) this.store.saveReview(this.sessionId, r);
      this.store.saveDecision(this.sessionId, decision);
    };
    this.note('review.decided', {
      text: `${decision.reviewId}: ${decision.action} — ${decision.reasons.join('; ')}`,
      reviewId: decision.reviewId,
      action: decision.action,
      reasons: decision.reasons,
      inputs: decision.inputs,
      reviews,
    }, rows);
    return true;
  }

  recovery(action: RecoveryAction): void {
    this.note(`recovery.${action.outcome}`, { text: `${action.workerId}: ${action.kind}${action.change ? ` → ${action.change}` : ''} (${action.outcome})`, ...action }, () =>
      this.store.saveRecovery(this.sessionId, action),
    );
  }

  state(state: string): void {
    this.note('session.state', { text: state, state });
    const status = statusOf(state);
    if (!status) return;
    try {
      this.store.update(this.sessionId, { status, updatedAt: this.now().toISOString() });
    } catch (error) {
      this.onFatal?.(error);
    }
  }
}
