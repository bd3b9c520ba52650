import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActor, waitFor, type ActorRefFrom, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { agentProcess } from '../actors/agent-process.js';
import { awaitGroupExit, prepareReview } from '../actors/review-request.js';
import { reviewerRun } from '../actors/reviewer-run.js';
import type { OrchestrateConfig } from '../config/load.js';
import { recoveryMachine } from '../machines/recovery.js';
import { reviewMachine } from '../machines/review.js';
import type { SessionSettings } from '../machines/session-context.js';
import { sessionMachine, type SessionEvent } from '../machines/session.js';
import { workerMachine, type WorkerNotice } from '../machines/worker.js';
import type { AgentEventInput, OrchestratorDecision, TaskBreakdown, Usage } from '../protocol/index.js';
import type { TierChoice } from '../probe/tiers.js';
import { isGitRepo, snapshotTree } from './git.js';
import { sessionLogger } from './logger.js';
import { describeAgentEvent, describeState } from './narrate.js';
import { launchTemplates } from './templates.js';
import { prepareSessionDir } from './workspace.js';

export interface RunSessionOptions {
  sessionId: string;
  task: string;
  target: string;
  workspace: string;
  config: OrchestrateConfig;
  tier: TierChoice;
  logLevel: string;
  cliEntry?: string;
  /** One human-readable line per notable thing (phase, tool call, decision), for plain terminal output. */
  onNotice?: (line: string) => void;
  /** Tests shorten timers; everything else comes from config. */
  overrides?: Partial<SessionSettings>;
}

export type SessionActor = ActorRefFrom<typeof sessionMachine>;

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
  send(event: SessionEvent): void;
  /** Resolves when the session ends or waits for the user (escalated, clarification, paused). */
  settled(): Promise<SessionSummary>;
  stop(): void;
}

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
  };
}

export async function startSession(options: RunSessionOptions): Promise<SessionHandle> {
  const { sessionId, config, target } = options;
  const sessionDir = prepareSessionDir(options.workspace, sessionId);
  const log = sessionLogger(sessionDir, options.logLevel);
  const notice = options.onNotice ?? (() => undefined);
  const git = await isGitRepo(target);
  const trees: { base?: string; last?: string } = git ? { base: await snapshotTree(target) } : {};
  const templates = launchTemplates({ config, sessionId, target, sessionDir, isGitRepo: git, ...(options.cliEntry ? { cliEntry: options.cliEntry } : {}) });
  const adapters = Object.fromEntries(Object.entries(config.agents).map(([n, a]) => [n, a.adapter]));
  let plan: TaskBreakdown | undefined;
  const decisions: OrchestratorDecision[] = [];
  const logEvent = (e: AgentEventInput): void => {
    log.debug({ event: e }, 'agent.event');
    const line = describeAgentEvent(e);
    if (line) notice(line);
  };
  let reportUsage: (e: AgentEventInput) => void = () => undefined;
  const logReviewerEvent = (e: AgentEventInput): void => {
    logEvent(e);
    if (e.usage) reportUsage(e);
  };

  const machine = sessionMachine.provide({
    actors: {
      worker: workerMachine.provide({ actors: { agentProcess, recovery: recoveryMachine.provide({ actors: { awaitGroupExit } }) } }),
      review: reviewMachine.provide({
        actors: {
          reviewerRun: reviewerRun({ sessionDir, templates, adapters, onEvent: logReviewerEvent }),
          prepareReview: prepareReview({ sessionDir, target, task: options.task, isGitRepo: git, diffMaxBytes: config.review.diffMaxBytes, plan: () => plan, trees }),
        },
      }),
    },
  });

  const inspect = (ev: InspectionEvent): void => {
    if (ev.type !== '@xstate.event') return;
    const e = ev.event as { type: string } & Record<string, unknown>;
    if (e.type === 'agent.event') logEvent(e.event as AgentEventInput);
    else if (e.type === 'worker.recovery') {
      const r = e as unknown as Extract<WorkerNotice, { type: 'worker.recovery' }>;
      log.warn({ recovery: r }, 'worker.recovery');
      notice(`recovery ${r.phase}: ${r.workerId} ${r.kind}${r.change ? ` → relaunch with ${r.change}` : ''}${r.outcome ? ` (${r.outcome})` : ''}`);
    } else if (e.type.startsWith('user.')) log.info({ control: e }, 'user control');
  };

  const actor = createActor(machine, {
    inspect,
    input: {
      sessionId,
      task: options.task,
      sessionDir,
      tier: options.tier,
      adapters,
      templates,
      settings: { ...settingsFromConfig(config), ...options.overrides },
      startedAt: new Date().toISOString(),
    },
  });
  reportUsage = (e) => {
    if (e.usage) actor.send({ type: 'usage.reported', agent: e.agent, usage: e.usage });
  };
  actor.on('session.plan', (e) => {
    plan = e.plan;
    writeFileSync(join(sessionDir, 'plan.json'), `${JSON.stringify(e.plan, null, 2)}\n`);
    log.info({ plan: e.plan }, 'plan accepted');
    notice(`plan: ${e.plan.tasks.length} task(s): ${e.plan.summary}`);
  });
  actor.on('session.planRejected', (e) => {
    log.warn({ problems: e.problems }, 'plan rejected');
    notice(`plan rejected (attempt ${e.attempt}): ${e.problems.join('; ')}`);
  });
  actor.on('session.tier', (e) => {
    log.warn({ tier: e.tier, reason: e.reason }, 'tier changed');
    notice(`tier ${e.tier}: ${e.reason}`);
  });
  actor.on('session.review', ({ output }) => {
    decisions.push(output.decision);
    const dir = join(sessionDir, 'reviews', output.reviewId);
    writeFileSync(join(dir, 'decision.json'), `${JSON.stringify(output, null, 2)}\n`);
    log.info({ review: output }, 'decision');
    notice(`${output.reviewId} (${output.trigger}, ${output.subjectWorkerId}): ${output.reviews.map((r) => `${r.reviewer}=${r.verdict}`).join(' ')} → ${output.decision.action}`);
  });
  let lastState = '';
  actor.subscribe({
    next: (snapshot) => {
      const state = describeState(snapshot.value);
      if (state === lastState) return;
      lastState = state;
      log.info({ state }, 'session state');
      notice(`state: ${state}`);
    },
    error: (error: unknown) => log.error({ err: error }, 'session actor failed'),
  });

  log.info({ sessionId, task: options.task, target, tier: options.tier }, 'session started');
  notice(`session ${sessionId} · tier ${options.tier.tier}: ${options.tier.reason}`);
  actor.start();

  const summary = (snapshot: SnapshotFrom<typeof machine>): SessionSummary => ({
    sessionId,
    sessionDir,
    state: describeState(snapshot.value),
    tier: snapshot.context.tier.tier,
    tierReason: snapshot.context.tier.reason,
    decisions: [...decisions],
    tokens: snapshot.context.usage,
    escalation: snapshot.context.escalation,
    question: snapshot.context.question,
    failure: snapshot.context.failure,
  });

  return {
    sessionId,
    sessionDir,
    actor,
    send: (event) => actor.send(event),
    settled: async () => {
      const s = await waitFor(actor, (snap) => snap.status !== 'active' || WAITING.some((w) => snap.matches(w as never)), { timeout: Infinity });
      return summary(s);
    },
    stop: () => actor.stop(),
  };
}
