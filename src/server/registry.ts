import type { SessionEvent } from '../machines/session.js';
import type { LogEntry, SessionRecord, Store } from '../persistence/types.js';
import type { SessionHandle } from '../runtime/run-session.js';
import { emptyView, foldEntries, type SessionView } from '../view/session-view.js';

/** What the server needs from a session driven in this process. */
export type LiveSession = Pick<SessionHandle, 'sessionId' | 'bus' | 'actor' | 'send'> & Partial<Pick<SessionHandle, 'confirmations' | 'inspector'>>;

export type ControlError = { kind: 'unknown_session' | 'not_live' | 'not_accepted'; message: string };

/**
 * Every session the server can show: the live ones driven by this process (their bus pushes
 * committed entries) and every session in the store (past ones, and ones driven by another
 * orchestrator, whose new entries are read from the shared store).
 */
export class SessionRegistry {
  private readonly live = new Map<string, LiveSession>();
  private readonly views = new Map<string, SessionView>();

  constructor(readonly store: Store) {}

  attach(session: LiveSession): void {
    this.live.set(session.sessionId, session);
  }

  detach(sessionId: string): void {
    this.live.delete(sessionId);
  }

  liveSession(id: string): LiveSession | undefined {
    return this.live.get(id);
  }

  list(): SessionRecord[] {
    return this.store.list();
  }

  record(id: string): SessionRecord | undefined {
    return this.store.get(id);
  }

  /** The session the unscoped routes (`/api/session`, ...) mean: the live one, else the newest. */
  defaultId(): string | undefined {
    return [...this.live.keys()][0] ?? this.store.list()[0]?.id;
  }

  /** The folded view, brought up to date from the store (cheap: only entries after the cached seq). */
  view(id: string): SessionView {
    const cached = this.views.get(id) ?? emptyView(id);
    const fresh = foldEntries(cached, this.readAll(id, cached.lastSeq));
    this.views.set(id, fresh);
    return fresh;
  }

  private readAll(id: string, afterSeq: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let after = afterSeq; ; ) {
      const page = this.store.read(id, { afterSeq: after, limit: 1000 });
      out.push(...page);
      const last = page.at(-1);
      if (!last || page.length < 1000) return out;
      after = last.seq;
    }
  }

  /** The statechart's state value and task list: the live actor's, else the stored snapshot's. */
  machineState(id: string): { value: unknown; tasks: { id: string; title: string }[]; taskIndex: number } {
    const live = this.live.get(id);
    const snap = live ? live.actor.getSnapshot() : (this.store.loadSnapshot(id)?.snapshot as { value?: unknown; context?: { tasks?: { id: string; title: string }[]; taskIndex?: number } } | undefined);
    return { value: snap?.value, tasks: snap?.context?.tasks ?? [], taskIndex: snap?.context?.taskIndex ?? 0 };
  }

  /** The user's answer to a command waiting for confirmation; the guard hook waiting for it lets the agent go on. */
  confirm(id: string, confirmationId: string, approve: boolean, reason?: string): { answered: true } | ControlError {
    const live = this.live.get(id);
    if (!live?.confirmations) {
      if (!this.store.get(id)) return { kind: 'unknown_session', message: `no session "${id}"` };
      return { kind: 'not_live', message: `session ${id} is not driven by this server's process; its confirmations are answered where it runs` };
    }
    if (!live.confirmations.answer(confirmationId, approve, reason)) {
      return { kind: 'not_accepted', message: `no confirmation "${confirmationId}" is waiting in session ${id} (answered already, or timed out)` };
    }
    return { answered: true };
  }

  /** Controls act through the root actor of a session driven here; the event is recorded by `send`. */
  control(id: string, event: SessionEvent): { state: string } | ControlError {
    const live = this.live.get(id);
    if (!live) {
      if (!this.store.get(id)) return { kind: 'unknown_session', message: `no session "${id}"` };
      return { kind: 'not_live', message: `session ${id} is not driven by this server's process; controls work where it runs (or resume it with orchestrate resume ${id})` };
    }
    const snap = live.actor.getSnapshot();
    if (snap.status !== 'active' || !snap.can(event)) {
      return { kind: 'not_accepted', message: `session ${id} cannot take ${event.type} in its current state (${JSON.stringify(snap.value)})` };
    }
    live.send(event);
    return { state: JSON.stringify(live.actor.getSnapshot().value) };
  }
}
