import { chooseSandbox } from '../safety/sandbox.js';
import { createRemoteAgentProcess, remoteGroupExit, type RemoteRunDeps } from '../remote/remote-agent-process.js';
import { remoteReviewerRun } from '../remote/remote-reviewer-run.js';
import { SessionConfirmations } from './confirmations.js';
import { join } from 'node:path';
import { createActor, waitFor, type ActorRefFrom, type InspectionEvent, type Snapshot } from 'xstate';
import { createAgentProcess, DEFAULT_KILL_GRACE_MS } from '../actors/agent-process.js';
import { resourceMonitor } from '../actors/resource-monitor.js';
import { awaitGroupExit, prepareReview } from '../actors/review-request.js';
import { reviewerRun } from '../actors/reviewer-run.js';
import { copyFromLog } from './agent-copies.js';
import type { OrchestrateConfig } from '../config/load.js';
import { recoveryMachine } from '../machines/recovery.js';
import { reviewMachine } from '../machines/review.js';
import type { SessionSettings } from '../machines/session-context.js';
import { sessionMachine } from '../machines/session.js';
import { workerMachine } from '../machines/worker.js';
import { StoreError } from '../persistence/store-error.js';
import type { Store } from '../persistence/types.js';
import type { AgentEventInput, PeerReview, TaskBreakdown } from '../protocol/index.js';
import type { TierChoice } from '../probe/tiers.js';
import { gitBaseline, gitState } from './git.js';
import { sessionLogger } from './logger.js';
import { MACHINE_VERSION } from './machine-version.js';
import { describeAgentEvent, describeState } from './narrate.js';
import { SessionRecorder } from './recorder.js';
import { observeSession, type SessionObserver } from './observe.js';
import { Inspector, changeEntry } from '../inspect/live.js';
import { logInspection } from '../inspect/jsonl.js';
import type { RedactMode } from '../inspect/redact.js';
import { holderIsDead, keepLease, LEASE_TTL_MS, leaseOwner } from './lease.js';
import { killStaleAgents, startTicks } from './stale-agents.js';
import { launchTemplates } from './templates.js';
import { prepareSessionDir } from './workspace.js';
import { LiveRuns } from './live-runs.js';
import type { ResumeError, SessionHandle, SessionSummary } from './session-handle.js';

export interface SessionEnv {
  store: Store;
  logLevel: string;
  cliEntry?: string;
  /** One human-readable line per notable thing (phase, tool call, decision), for plain terminal output. */
  onNotice?: (line: string) => void;
  /** Tests shorten timers; everything else comes from config. */
  overrides?: Partial<SessionSettings>;
  /** How long the session's lease lasts without renewal (renewed every third of it); default 15 s. */
  leaseTtlMs?: number;
  /** `--remote`: agent and reviewer runs go to the queue for `orchestrate worker`s instead of starting here. */
  remote?: Omit<RemoteRunDeps, 'publish' | 'log' | 'restoring'>;
  /** `--inspect`: every inspection record to `<session>/inspect.jsonl`, redacted or in full. */
  inspect?: RedactMode | undefined;
}

export interface NewSession {
  sessionId: string;
  task: string;
  target: string;
  workspace: string;
  config: OrchestrateConfig;
  /** The configuration file it came from (the guard reads the same command lists), if any. */
  configSource?: string | null | undefined;
  tier: TierChoice;
}

export type SessionActor = ActorRefFrom<typeof sessionMachine>;
export type { ResumeError, SessionHandle, SessionSummary } from './session-handle.js';

const WAITING = ['escalated', 'awaitingClarification', 'paused'];

export function settingsFromConfig(config: OrchestrateConfig): SessionSettings {
  return {
    silenceMs: config.review.silenceMinutes * 60_000,
    reviewerTimeoutMs: config.review.reviewerTimeoutMinutes * 60_000,
    verifyTimeoutMs: 5 * 60_000,
    maxRecoveryAttempts: config.recovery.maxAttempts,
    policy: config.review.policy,
    triggers: config.review.triggers,
    budgets: config.budgets,
    limits: config.limits,
  };
}

/** Starts a new session: a store row, a lease, the root actor. */
export async function startSession(s: NewSession, env: SessionEnv): Promise<SessionHandle | ResumeError> {
  const sessionDir = prepareSessionDir(s.workspace, s.sessionId);
  const now = new Date().toISOString();
  env.store.create({
    id: s.sessionId,
    task: s.task,
    target: s.target,
    workspace: s.workspace,
    sessionDir,
    status: 'planning',
    tier: s.tier.tier,
    roles: s.tier.roles,
    config: { config: s.config, tier: s.tier, configSource: s.configSource ?? null },
    tokens: {},
    createdAt: now,
    updatedAt: now,
  });
  return launch({ ...s, sessionDir, startedAt: now }, env, undefined);
}

/** Continues a session from its stored snapshot; refuses (changing nothing) when it cannot. */
export async function resumeSession(sessionId: string, env: SessionEnv): Promise<SessionHandle | ResumeError> {
  const record = env.store.get(sessionId);
  if (!record) return { kind: 'unknown', message: `no session "${sessionId}" in ${env.store.path} (orchestrate sessions lists them)` };
  if (['completed', 'failed', 'stopped'].includes(record.status)) return { kind: 'finished', message: `session ${sessionId} has already ended (${record.status})` };
  const stored = env.store.loadSnapshot(sessionId);
  if (stored && stored.machineVersion !== MACHINE_VERSION) {
    return {
      kind: 'incompatible',
      message: `session ${sessionId} was saved by different statecharts (version ${stored.machineVersion}, this orchestrate has ${MACHINE_VERSION}); it cannot be resumed safely by this version`,
    };
  }
  const saved = record.config as { config: OrchestrateConfig; tier: TierChoice; configSource?: string | null };
  // No snapshot: killed in the first moments of a run, before anything was decided; the session
  // starts over from its task, its log going on where it stopped.
  const context = (stored?.snapshot as { context?: { tier?: TierChoice; startedAt?: string } } | undefined)?.context;
  return launch(
    { sessionId, task: record.task, target: record.target, workspace: record.workspace, config: saved.config, configSource: saved.configSource, tier: context?.tier ?? saved.tier, sessionDir: record.sessionDir, startedAt: context?.startedAt ?? record.createdAt },
    env,
    stored?.snapshot as Snapshot<unknown> | undefined,
    true,
  );
}

async function launch(s: NewSession & { sessionDir: string; startedAt: string }, env: SessionEnv, snapshot: Snapshot<unknown> | undefined, resumed = false): Promise<SessionHandle | ResumeError> {
  const { store } = env;
  const ttl = env.leaseTtlMs ?? LEASE_TTL_MS;
  // Checked before the lease: a required sandbox that is missing must not leave a half-started session.
  const sandbox = chooseSandbox(s.config.safety.sandbox, process.env);
  if (!sandbox.ok) return { kind: 'sandbox', message: `${sandbox.reason}; install bubblewrap or set safety.sandbox to "auto" or "off"` };
  const owner = leaseOwner();
  const leaseAt = Date.now();
  const lease = store.acquireLease(s.sessionId, owner, ttl, leaseAt);
  // A holder on this host whose process is gone (killed orchestrator) does not block a resume.
  const takenOver = !lease.ok && holderIsDead(lease.holder.owner) && store.takeOverLease(s.sessionId, lease.holder.owner, owner, ttl, leaseAt);
  if (!lease.ok && !takenOver) {
    return { kind: 'leased', message: `session ${s.sessionId} is being driven by ${lease.holder.owner} (lease until ${new Date(lease.holder.expiresAt).toISOString()}); not starting a second orchestrator` };
  }
  const { sessionId, sessionDir, config, target } = s;
  const log = sessionLogger(sessionDir, env.logLevel);
  if (resumed && !snapshot) log.warn('no saved state (the previous orchestrator stopped before its first snapshot): starting the session over from its task');
  if (resumed) {
    const killed = killStaleAgents(store, sessionId);
    if (killed.length > 0) log.warn({ pids: killed }, 'killed agent process groups left by the previous orchestrator');
  }
  const notice = env.onNotice ?? (() => undefined);
  // Each store call that held the event loop (a slow or unreachable PostgreSQL) goes on record.
  const unwatchStore = store.onBlocked?.((call) => log.warn({ call }, `a store call held this process for ${call.ms} ms`));
  const recorder = new SessionRecorder(store, sessionId, log);
  const copies = copyFromLog(recorder, sessionDir, log);
  // Reviews diff against the session's start and the last reviewed state: both survive a restart (also one without a snapshot).
  const base = resumed ? store.records(sessionId, 'session.started')[0]?.payload.baseTree : undefined;
  const lastReviewed = resumed ? store.records(sessionId, 'review.tree').at(-1)?.payload.tree : undefined;
  const { repo: git, tree: baseTree } = typeof base === 'string' ? { ...(await gitState(target)), tree: base } : await gitBaseline(target);
  const trees: { base?: string; last?: string } = git ? { ...(baseTree ? { base: baseTree } : {}), ...(typeof lastReviewed === 'string' ? { last: lastReviewed } : {}) } : {};
  const templates = launchTemplates({
    config,
    sessionId,
    target,
    sessionDir,
    isGitRepo: git,
    configPath: s.configSource ?? undefined,
    ...(env.cliEntry ? { cliEntry: env.cliEntry } : {}),
    ...(sandbox.sandbox ? { sandbox: sandbox.sandbox } : {}),
  });
  log.info({ sandbox: sandbox.reason }, 'agent sandbox');
  const adapters = Object.fromEntries(Object.entries(config.agents).map(([n, a]) => [n, a.adapter]));
  let plan: TaskBreakdown | undefined;
  const narrate = (e: AgentEventInput): void => {
    log.debug({ event: e }, 'agent.event');
    const line = describeAgentEvent(e);
    if (line) notice(line);
  };
  let reportUsage: (e: AgentEventInput) => void = () => undefined;
  const runs = new LiveRuns();
  // Committed at once, not at the end of the turn: a crash right after a spawn must not leave an
  // agent that no resume knows about.
  const recordSpawn = (workerId: string, agent: string, attempt: number, pid: number): void => {
    recorder.note('process.spawned', { text: `${workerId} (${agent}) attempt ${attempt}: pid ${pid}`, pid, startTicks: startTicks(pid), workerId, agent, attempt });
    recorder.writer.flush();
  };

  // Also without a snapshot: runs the killed orchestrator queued or started (same worker, attempt
  // and agent) are adopted or continued, not started a second time.
  let restoring = resumed;
  const reviews = {
    sessionDir,
    templates,
    adapters,
    // After a restart, a reviewer that had answered is not asked again.
    recorded: (reviewId: string, reviewer: string) => store.reviews(sessionId).find((r) => r.reviewId === reviewId && r.reviewer === reviewer),
    onReview: (review: PeerReview) => store.saveReview(sessionId, review),
  };
  const machine = sessionMachine.provide({
    actors: {
      worker: workerMachine.provide({
        actors: {
          agentProcess: env.remote ? createRemoteAgentProcess({ ...env.remote, publish: (e) => recorder.bus.emit('entries', [e]), log, restoring: () => restoring }) : createAgentProcess({
            record: (events, then) => {
              for (const e of events) narrate(e);
              recorder.agentEvents(events, then);
            },
            afterCommit: (then, lost) => recorder.writer.afterCommit(then, lost),
            // Only runs restored from the snapshot continue their conversation: a step run again
            // later in this process (a retry, a tier drop to another agent) starts afresh.
            conversationOf: (input) => (restoring ? store.agentSessionIdOf(input.sessionId, input.workerId, input.attempt, input.agent) : undefined),
            onSpawned: (input, pid) => recordSpawn(input.workerId, input.agent, input.attempt, pid),
            track: (run) => runs.track(run),
          }),
          recovery: recoveryMachine.provide({ actors: { awaitGroupExit: env.remote ? remoteGroupExit : awaitGroupExit } }),
          // A remote agent's process is on its worker's host, which measures it (the limits travel
          // with the run) and reports a breach as the same event through the log.
          ...(env.remote ? {} : { resourceMonitor }),
        },
      }),
      review: reviewMachine.provide({
        actors: {
          reviewerRun: env.remote
            ? // Launched by a worker with the reviewer's agent; its events are committed there.
              remoteReviewerRun({ ...env.remote, ...reviews, log, publish: (e) => recorder.bus.emit('entries', [e]), restoring: () => restoring, onEvent: (e) => (narrate(e), reportUsage(e)) })
            : reviewerRun({ ...reviews, onEvent: (e) => (narrate(e), recorder.agentEvents([e], () => reportUsage(e))), onSpawned: recordSpawn, afterCommit: (then, lost) => recorder.writer.afterCommit(then, lost), track: (run) => runs.track(run) }),
          prepareReview: prepareReview({
            sessionDir,
            target,
            task: s.task,
            isGitRepo: git,
            diffMaxBytes: config.review.diffMaxBytes,
            plan: () => plan,
            trees,
            onTree: (reviewId, tree) => recorder.note('review.tree', { text: `${reviewId} reviewed tree ${tree}`, reviewId, tree }),
          }),
        },
      }),
    },
  });

  // Every change of an actor's state goes into the log (the inspector's time travel steps
  // through them) until the session may write no more (lease lost, log failed).
  let recordChanges = true;
  const inspector = new Inspector((c) => {
    if (recordChanges) recorder.note('machine.transition', changeEntry(c));
  });
  const stopInspectLog = env.inspect
    ? logInspection(inspector, join(sessionDir, 'inspect.jsonl'), env.inspect, (e) => log.error({ err: e }, 'inspect.jsonl could not be written; inspection logging stopped'))
    : () => Promise.resolve();
  // The actor reports during its own creation, before the observer (which needs the actor) exists.
  const early: { observer?: SessionObserver } = {};
  const inspect = (ev: InspectionEvent): void => {
    inspector.inspect(ev);
    early.observer?.inspect(ev);
  };
  const actor: SessionActor = createActor(machine, {
    inspect,
    ...(snapshot ? { snapshot } : {}),
    input: { sessionId, task: s.task, sessionDir, tier: s.tier, adapters, templates, settings: { ...settingsFromConfig(config), ...env.overrides }, startedAt: s.startedAt },
  });
  plan = snapshot ? actor.getSnapshot().context.plan : undefined;
  /** Why this process stopped driving the session (lease lost, log not writable), if it did. */
  let halted: string | undefined;
  const observer = observeSession({ actor, store, recorder, log, notice, sessionDir, machineVersion: MACHINE_VERSION, onPlan: (p) => (plan = p) });
  early.observer = observer;
  recorder.onFatal = (error) => {
    const why = error instanceof Error ? error.message : String(error);
    // Said once: appends already queued fail the same way after the first.
    const first = halted === undefined;
    halted ??= why;
    if (first) {
      notice(
        error instanceof StoreError && error.kind === 'fenced'
          ? `orchestrate: ${why}; another orchestrator drives this session now, so this one stops without writing anything more.`
          : `orchestrate: the event log could not be written (${why}); stopping the session. Resume it once the store is writable.`,
      );
    }
    recordChanges = false;
    observer.dispose();
    actor.stop();
  };
  reportUsage = (e) => {
    if (e.usage) actor.send({ type: 'usage.reported', agent: e.agent, usage: e.usage });
  };

  const stopRenewing = keepLease({
    ttlMs: ttl,
    takenAt: leaseAt,
    // Not given up on a failed renewal: every host's appends lock the session row too, and one
    // stuck inside an append holds it up to 5 s, failing a healthy holder's renewals. A cut-off
    // orchestrator stops at its first failed write; after a takeover the fence refuses them all.
    giveUpUnconfirmed: false,
    renew: (now) => store.renewLease(sessionId, owner, ttl, now),
    // If another orchestrator takes the session over meanwhile, the epoch fence refuses this one's writes.
    onRetry: (error) => log.warn({ err: error }, 'could not renew the session lease; trying again'),
    onLost: (loss) => {
      halted = 'the session lease was taken over by another orchestrator';
      log.error({ loss }, 'the session lease is lost; stopping here without writing anything more');
      notice(`orchestrate: ${halted}; this one stops here without writing anything more.`);
      recordChanges = false;
      observer.dispose();
      actor.stop();
    },
  });

  log.info({ sessionId, task: s.task, target, tier: s.tier, resumed, fromSnapshot: Boolean(snapshot), machineVersion: MACHINE_VERSION }, resumed ? 'session resumed' : 'session started');
  recorder.note(resumed ? 'session.resumed' : 'session.started', {
    text: `${resumed ? 'resumed' : 'started'} at tier ${s.tier.tier}: ${s.tier.reason}`,
    tier: s.tier.tier,
    reason: s.tier.reason,
    task: s.task,
    ...(trees.base ? { baseTree: trees.base } : {}),
  });
  notice(`session ${sessionId}${resumed ? ' (resumed)' : ''} · tier ${s.tier.tier}: ${s.tier.reason}`);
  const confirmations = new SessionConfirmations(join(sessionDir, 'confirmations'), recorder, log);
  confirmations.start();
  actor.start();
  // The restored children started inside start(); whatever launches from now on is new work.
  restoring = false;
  // Delayed events (the silence fallback) are not part of a snapshot: re-arm them for the time left.
  if (snapshot) actor.send({ type: 'session.rearm', now: new Date().toISOString() });

  const summary = (): SessionSummary => {
    const snap = actor.getSnapshot();
    return {
      sessionId,
      sessionDir,
      state: describeState(snap.value),
      tier: snap.context.tier.tier,
      tierReason: snap.context.tier.reason,
      decisions: store.decisions(sessionId),
      tokens: snap.context.usage,
      escalation: snap.context.escalation,
      question: snap.context.question,
      failure: halted ?? snap.context.failure ?? snap.context.pausedFor,
    };
  };
  let closed = false;
  /** Stops the actor, which signals its agents; false when that was done already. */
  const stop = (): boolean => {
    if (closed) return false;
    closed = true;
    unwatchStore?.();
    confirmations.stop();
    // The last live state is what a resume continues from: save it before stopping, after the
    // records of how it got there (the snapshot must not run ahead of the log).
    recorder.writer.flush();
    observer.saveNow();
    observer.dispose();
    actor.stop();
    return true;
  };
  const finish = (): void => {
    stopRenewing();
    recorder.writer.close();
    copies.close();
    store.releaseLease(sessionId, owner);
    void stopInspectLog();
  };
  return {
    sessionId,
    sessionDir,
    actor,
    bus: recorder.bus,
    confirmations,
    inspector,
    send: (event) => {
      recorder.note('control', { text: event.type, control: event });
      // In the log before the machine acts on it and before the caller hears it was accepted.
      recorder.writer.flush();
      actor.send(event);
      // And what it did (the state it entered, why it waits) before the caller hears back: a
      // client that reads the session right after its control was accepted must see its effect.
      recorder.writer.flush();
    },
    settled: async () => {
      try {
        await waitFor(actor, (snap) => snap.status !== 'active' || WAITING.some((w) => snap.matches(w as never)), { timeout: Infinity });
      } catch (error) {
        // Stopped from outside its statechart (the lease was lost, the log refused a write): say why, not XState's words.
        if (halted === undefined) throw error;
      }
      // Let the last records commit before anyone reads them.
      await new Promise((r) => setImmediate(r));
      recorder.writer.flush();
      return summary();
    },
    close: () => {
      if (stop()) finish();
    },
    shutdown: async ({ timeoutMs = DEFAULT_KILL_GRACE_MS + 2000, giveUp, onWaiting } = {}) => {
      if (!stop()) return;
      // The lease is still renewed meanwhile: the exits are written under it.
      await runs.ended(timeoutMs, { giveUp, onWaiting });
      finish();
    },
  };
}
