import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { WorkerNotice } from '../machines/worker.js';
import type { Store } from '../persistence/types.js';
import { RecoveryKind, type TaskBreakdown } from '../protocol/index.js';
import { describeState } from './narrate.js';
import type { SessionRecorder } from './recorder.js';
import type { SessionActor } from './run-session.js';

const XSTATE_VERSION = '5';
/**
 * A snapshot that only an agent event changed (a worker's last event time, progress, usage) is
 * saved at most this often; every other change is saved at the end of its turn. A chatty agent
 * otherwise cost one ~12 KB snapshot write per event-loop turn per session (the workers
 * benchmark: 50 sessions could not keep up with 100 events/s each).
 */
const AGENT_EVENT_SAVE_MS = 250;

export interface SessionObserver {
  inspect(ev: InspectionEvent): void;
  /** Writes the snapshot now (shutdown), instead of at the end of the turn. */
  saveNow(): void;
  /** No more writes: the store is about to close. */
  dispose(): void;
}

/**
 * Turns what the root actor does into records: the persisted snapshot (whenever any actor in
 * the system changed, coalesced to one write per event-loop turn — the root's own `subscribe`
 * misses child transitions), the plan, reviews and decisions, recoveries, tier changes and
 * state changes.
 */
export function observeSession(o: {
  actor: SessionActor;
  store: Store;
  recorder: SessionRecorder;
  log: Logger;
  notice: (line: string) => void;
  sessionDir: string;
  machineVersion: string;
  onPlan: (plan: TaskBreakdown) => void;
}): SessionObserver {
  const { actor, store, recorder, log, notice, sessionDir } = o;
  const sessionId = recorder.sessionId;
  let pending = false;
  let disposed = false;
  let lastTokens = '';
  let throttled: NodeJS.Timeout | undefined;
  const saveNow = (): void => {
    pending = false;
    clearTimeout(throttled);
    throttled = undefined;
    if (disposed) return;
    const snap = actor.getSnapshot();
    try {
      store.saveSnapshot({ sessionId, machineVersion: o.machineVersion, xstateVersion: XSTATE_VERSION, snapshot: actor.getPersistedSnapshot(), updatedAt: new Date().toISOString() });
      const tokens = JSON.stringify(snap.context.usage);
      if (tokens !== lastTokens) {
        lastTokens = tokens;
        store.update(sessionId, { tokens: snap.context.usage, tier: snap.context.tier.tier, updatedAt: new Date().toISOString() });
      }
    } catch (error) {
      // A store that refuses the write (taken over, unreachable) ends the session like a failed append.
      recorder.onFatal?.(error);
    }
  };
  /**
   * A save waits until what was appended before it was asked for is committed: the snapshot is
   * not ahead of those records (a state entered meanwhile may be; shutdown flushes first), and it
   * is written while the store's writer thread has no batch (from inside its landing), instead of
   * sleeping in SQLite's busy handler until the thread's transaction ends (up to ~4% of the
   * pipeline benchmark's main thread). Refused appends stop the session: no save then,
   * and none is left pending (a later one may still be asked for, by shutdown's saveNow).
   */
  const afterLog = (save: () => void): void =>
    recorder.writer.afterCommit(save, () => {
      pending = false;
      throttled = undefined;
    });
  const scheduleSave = (byAgentEvent: boolean): void => {
    if (pending || disposed) return;
    if (byAgentEvent) {
      throttled ??= setTimeout(() => afterLog(saveNow), AGENT_EVENT_SAVE_MS);
      return;
    }
    pending = true;
    setImmediate(() => {
      if (pending)
        afterLog(() => {
          if (pending) saveNow();
        });
    });
  };

  actor.on('session.plan', (e) => {
    o.onPlan(e.plan);
    writeFileSync(join(sessionDir, 'plan.json'), `${JSON.stringify(e.plan, null, 2)}\n`);
    recorder.note('session.plan', { text: `plan: ${e.plan.tasks.length} task(s): ${e.plan.summary}`, plan: e.plan });
    log.info({ plan: e.plan }, 'plan accepted');
    notice(`plan: ${e.plan.tasks.length} task(s): ${e.plan.summary}`);
  });
  actor.on('session.planRejected', (e) => {
    recorder.note('session.planRejected', { text: `plan rejected: ${e.problems.join('; ')}`, problems: e.problems, attempt: e.attempt });
    log.warn({ problems: e.problems }, 'plan rejected');
    notice(`plan rejected (attempt ${e.attempt}): ${e.problems.join('; ')}`);
  });
  actor.on('session.tier', (e) => {
    recorder.note('session.tier', { text: `tier ${e.tier}: ${e.reason}`, tier: e.tier, reason: e.reason });
    log.warn({ tier: e.tier, reason: e.reason }, 'tier changed');
    notice(`tier ${e.tier}: ${e.reason}`);
  });
  actor.on('session.review', ({ output }) => {
    const dir = join(sessionDir, 'reviews', output.reviewId);
    writeFileSync(join(dir, 'decision.json'), `${JSON.stringify(output, null, 2)}\n`);
    recorder.decided(output.reviews, output.decision);
    log.info({ review: output }, 'decision');
    notice(`${output.reviewId} (${output.trigger}, ${output.subjectWorkerId}): ${output.reviews.map((r) => `${r.reviewer}=${r.verdict}`).join(' ')} → ${output.decision.action}`);
  });
  let lastState = '';
  actor.subscribe({
    next: (snapshot) => {
      const state = describeState(snapshot.value);
      if (state === lastState) return;
      lastState = state;
      recorder.state(state);
      // Why it waits, as its own record (a budget reached, a question, an escalation).
      const c = snapshot.context;
      if (state === 'paused' && c.pausedFor) recorder.note('session.paused', { text: c.pausedFor, reason: c.pausedFor });
      if (state === 'awaitingClarification' && c.question) recorder.note('session.question', { text: c.question });
      if (state === 'escalated' && c.escalation) recorder.note('session.escalated', { text: c.escalation.reason, ...c.escalation });
      // Which plan task the implementer is on: the log alone then tells a viewer (TUI, dashboard).
      const task = state === 'implementing.working' ? c.tasks[c.taskIndex] : undefined;
      if (task) recorder.note('session.task', { text: `task ${c.taskIndex + 1}/${c.tasks.length}: ${task.id} ${task.title}`, taskId: task.id, title: task.title, index: c.taskIndex, total: c.tasks.length });
      log.info({ state }, 'session state');
      notice(`state: ${state}`);
    },
    error: (error: unknown) => log.error({ err: error }, 'session actor failed'),
  });

  return {
    saveNow,
    dispose: () => {
      disposed = true;
      clearTimeout(throttled);
    },
    inspect(ev) {
      if (disposed) return;
      if (ev.type === '@xstate.snapshot') scheduleSave(ev.event.type === 'agent.events');
      if (ev.type !== '@xstate.event') return;
      const e = ev.event as { type: string } & Record<string, unknown>;
      if (e.type === 'worker.recovery') {
        const r = e as unknown as Extract<WorkerNotice, { type: 'worker.recovery' }>;
        const outcome = r.phase === 'ended' ? (r.outcome === 'recovered' ? 'recovered' : 'escalated') : 'pending';
        const kind = RecoveryKind.safeParse(r.kind);
        if (!kind.success) {
          log.error({ recovery: r }, 'worker.recovery with an unknown kind: not recorded');
          return;
        }
        recorder.recovery({
          id: `${r.workerId}-${r.attempt}-${r.phase}`,
          workerId: r.workerId,
          agent: r.agent,
          kind: kind.data,
          evidence: r.evidence,
          action: r.change ? 'relaunch' : 'escalate',
          ...(r.change ? { change: r.change } : {}),
          suggestions: r.suggestions,
          attempt: Math.max(1, r.attempt),
          outcome,
          timestamp: new Date().toISOString(),
        });
        log.warn({ recovery: r }, 'worker.recovery');
        notice(`recovery ${r.phase}: ${r.workerId} ${r.kind}${r.change ? ` → relaunch with ${r.change}` : ''}${r.outcome ? ` (${r.outcome})` : ''}`);
      } else if (e.type.startsWith('user.')) log.info({ control: e }, 'user control');
    },
  };
}
