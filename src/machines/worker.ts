import { and, assign, cancel, enqueueActions, fromCallback, raise, sendParent, sendTo, setup, spawnChild, stopChild } from 'xstate';
import type { AgentEventInput, Role, Usage, WorkerStatus } from '../protocol/index.js';
import type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput, Classification, LaunchRequest, ResourceMonitorEvent, ResourceMonitorInput, WorkerLimits } from './events.js';
import { callbackNotProvided } from './not-provided.js';
import { recoveryMachine, type RecoveryOutput, type RecoveryRequest } from './recovery.js';

export interface WorkerInput {
  sessionId: string;
  workerId: string;
  role: Role;
  agent: string;
  adapter: AgentProcessInput['adapter'];
  sessionDir: string;
  request: LaunchRequest;
  /** No event for this long from a running agent raises `worker.silent` (review fallback). */
  silenceMs: number;
  maxRecoveryAttempts: number;
  verifyTimeoutMs: number;
  /** Resource limits for the agent's process group, enforced by the resource monitor while it runs. */
  limits?: WorkerLimits | undefined;
  /** The launch could not be built (e.g. no template for the agent): the worker throws this when it starts. */
  inputError?: string;
}

export interface WorkerContext extends WorkerInput {
  attempt: number;
  status: WorkerStatus;
  pid?: number;
  progress: number;
  currentTask?: string;
  lastEventAt?: string;
  /**
   * When the silence check fires if nothing arrives (ISO), from event timestamps: XState does not
   * restore delayed events from a persisted snapshot, so `worker.rearm` re-arms from this.
   */
  silenceDeadline?: string;
  usage: Usage;
  agentSessionId?: string;
  finalText?: string;
  structured?: unknown;
  exitCode?: number | null;
  signal?: string | null;
  recoveries: number;
  pendingClassification?: Classification;
  escalation?: RecoveryOutput;
  failure?: string;
}

export type WorkerEvent =
  | AgentProcessEvent
  | RecoveryRequest
  | { type: 'worker.stop' }
  | { type: 'worker.silenceCheck' }
  /** After a restore: arm the silence check again for the time that remained (`now` from the runtime clock). */
  | { type: 'worker.rearm'; now: string }
  | { type: 'worker.limitExceeded'; limit: 'cpu' | 'memory' | 'runtime'; detail: string };

/** What the worker tells its parent (besides its output when it ends). */
export type WorkerNotice =
  | { type: 'worker.event'; workerId: string; event: AgentEventInput }
  | { type: 'worker.silent'; workerId: string; lastEventAt?: string | undefined }
  | { type: 'worker.recovery'; workerId: string; agent: string; phase: 'started' | 'relaunched' | 'ended'; kind: string; evidence: string; change?: string | undefined; outcome?: RecoveryOutput['outcome']; suggestions: string[]; attempt: number };

export interface WorkerOutput {
  workerId: string;
  status: 'exited' | 'failed' | 'stopped';
  exitCode: number | null;
  finalText?: string | undefined;
  structured?: unknown;
  usage: Usage;
  agentSessionId?: string | undefined;
  escalation?: RecoveryOutput | undefined;
  failure?: string | undefined;
  classification?: Classification | undefined;
}

const ZERO: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

function addUsage(a: Usage, b: Usage): Usage {
  const cost = a.costUsd === undefined && b.costUsd === undefined ? undefined : (a.costUsd ?? 0) + (b.costUsd ?? 0);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    ...(cost === undefined ? {} : { costUsd: cost }),
  };
}

/** Events the session acts on; the rest only go to the log. */
const mattersToSession = (e: AgentEventInput): boolean =>
  e.type === 'milestone' || e.type === 'blocker' || e.type === 'review' || e.payload.reviewRequested === true || e.usage !== undefined;

const procId = (attempt: number): string => `proc-${attempt}`;

/** What a run of agent events changes in the worker's context: the last of each wins, usage adds up. */
function absorb(context: WorkerContext, events: readonly AgentEventInput[]): Partial<WorkerContext> {
  // The silence deadline follows the last event's time; set here, in the one context copy a
  // batch makes (a chatty agent's batches are most of a worker's transitions).
  const out: Partial<WorkerContext> = { silenceDeadline: later(events.at(-1)?.timestamp, context.silenceMs) };
  let usage = context.usage;
  for (const e of events) {
    const p = e.payload;
    out.lastEventAt = e.timestamp;
    if (p.progress !== undefined) out.progress = p.progress;
    if (e.type === 'task' && p.text) out.currentTask = p.text;
    if (p.agentSessionId) out.agentSessionId = p.agentSessionId;
    if (p.kind === 'run.completed') {
      out.finalText = p.text;
      out.structured = p.structured;
    }
    if (e.usage) usage = addUsage(usage, e.usage);
  }
  return usage === context.usage ? out : { ...out, usage };
}

/** `ms` after an ISO time; undefined for a time that does not parse (never a RangeError). */
const later = (iso: string | undefined, ms: number): string | undefined => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : new Date(t + ms).toISOString();
};

/** Handlers shared by the states in which an agent process is live. */
const LIVE = {
  'agent.events': { guard: 'isCurrent', actions: ['absorbEvents', 'forwardEvents', 'restartSilenceTimer'] },
  'agent.exited': [
    { guard: and(['isCurrent', 'hasClassification', 'canRecover']), target: 'recovering', actions: ['noteExit', 'holdClassification'] },
    { guard: and(['isCurrent', 'stoppedByUs']), target: 'stopped', actions: 'noteExit' },
    { guard: and(['isCurrent', 'exitedClean']), target: 'exited', actions: 'noteExit' },
    { guard: 'isCurrent', target: 'failed', actions: ['noteExit', 'holdClassification'] },
  ],
  'agent.failed': { guard: 'isCurrent', target: 'failed', actions: 'noteExit' },
} as const;

export const workerMachine = setup({
  types: {
    input: {} as WorkerInput,
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    output: {} as WorkerOutput,
  },
  actors: {
    agentProcess: callbackNotProvided<AgentProcessCommand, AgentProcessInput, AgentProcessEvent>('agentProcess'),
    recovery: recoveryMachine,
    // A monitor that watches nothing: limits are enforced only where the runtime provides the real one.
    resourceMonitor: fromCallback<{ type: string }, ResourceMonitorInput, ResourceMonitorEvent>(() => undefined),
  },
  delays: {
    silence: ({ context }) => context.silenceMs,
  },
  guards: {
    isCurrent: ({ context, event }) => 'attempt' in event && event.attempt === context.attempt,
    canRecover: ({ context, event }) => {
      const c = event.type === 'agent.classified' || event.type === 'agent.exited' ? event.classification : undefined;
      return c !== undefined && (c.remedy.action === 'escalate' || context.recoveries < context.maxRecoveryAttempts);
    },
    hasClassification: ({ event }) => (event.type === 'agent.exited' || event.type === 'agent.classified') && event.classification !== undefined,
    stoppedByUs: ({ event }) => event.type === 'agent.exited' && event.stoppedByRequest,
    exitedClean: ({ event }) => event.type === 'agent.exited' && event.exitCode === 0,
  },
  actions: {
    spawnProcess: spawnChild('agentProcess', {
      id: ({ context }) => procId(context.attempt),
      input: ({ context }): AgentProcessInput => ({
        sessionId: context.sessionId,
        workerId: context.workerId,
        agent: context.agent,
        adapter: context.adapter,
        attempt: context.attempt,
        request: context.request,
        sessionDir: context.sessionDir,
        ...(context.limits ? { limits: context.limits } : {}),
      }),
    }),
    stopProcess: stopChild(({ context }) => procId(context.attempt)),
    askProcessToStop: sendTo(({ context }) => procId(context.attempt), { type: 'agent.stop' }),
    /** After agent events: their deadline was set by absorbEvents. */
    restartSilenceTimer: enqueueActions(({ enqueue }) => {
      enqueue(cancel('silence'));
      enqueue(raise({ type: 'worker.silenceCheck' }, { delay: 'silence', id: 'silence' }));
    }),
    armSilence: enqueueActions(({ context, event, enqueue }) => {
      enqueue(cancel('silence'));
      enqueue(raise({ type: 'worker.silenceCheck' }, { delay: 'silence', id: 'silence' }));
      // The deadline follows event time: the previous deadline for a reminder, the last event
      // after a recovery; a spawn (no timestamp) keeps what there was (agent events: absorb).
      const deadline =
        event.type === 'worker.silenceCheck'
          ? later(context.silenceDeadline, context.silenceMs)
          : event.type === 'agent.spawned'
            ? context.silenceDeadline
            : (later(context.lastEventAt, context.silenceMs) ?? context.silenceDeadline);
      enqueue.assign({ silenceDeadline: deadline });
    }),
    rearmSilence: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'worker.rearm') return;
      const deadline = context.silenceDeadline ?? later(event.now, context.silenceMs);
      const remaining = deadline === undefined ? NaN : Date.parse(deadline) - Date.parse(event.now);
      enqueue(cancel('silence'));
      // The time that remained; the full silenceMs when either time does not parse.
      enqueue(raise({ type: 'worker.silenceCheck' }, { delay: Number.isNaN(remaining) ? context.silenceMs : Math.max(0, remaining), id: 'silence' }));
      enqueue.assign({ silenceDeadline: deadline });
    }),
    disarmSilence: cancel('silence'),
    noteSpawn: assign({ pid: ({ event }) => (event.type === 'agent.spawned' ? event.pid : undefined), status: 'running' }),
    absorbEvents: assign(({ context, event }) => (event.type === 'agent.events' ? absorb(context, event.events) : {})),
    forwardEvents: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'agent.events') return;
      for (const e of event.events) {
        if (mattersToSession(e)) enqueue.sendParent({ type: 'worker.event', workerId: e.workerId, event: e } satisfies WorkerNotice);
      }
    }),
    tellSilent: sendParent(({ context }): WorkerNotice => ({ type: 'worker.silent', workerId: context.workerId, lastEventAt: context.lastEventAt })),
    noteExit: assign(({ event }) =>
      event.type === 'agent.exited' ? { exitCode: event.exitCode, signal: event.signal } : event.type === 'agent.failed' ? { failure: event.error.message } : {},
    ),
    holdClassification: assign({
      pendingClassification: ({ event }) => (event.type === 'agent.exited' || event.type === 'agent.classified' ? event.classification : undefined),
      status: 'recovering',
    }),
    relaunch: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'recovery.relaunch') return;
      const attempt = context.attempt + 1;
      enqueue.assign({ attempt, request: event.request, recoveries: context.recoveries + 1, exitCode: undefined, signal: undefined });
      enqueue.spawnChild('agentProcess', {
        id: procId(attempt),
        input: { sessionId: context.sessionId, workerId: context.workerId, agent: context.agent, adapter: context.adapter, attempt, request: event.request, sessionDir: context.sessionDir, ...(context.limits ? { limits: context.limits } : {}) },
      });
      enqueue.sendParent({ type: 'worker.recovery', workerId: context.workerId, agent: context.agent, phase: 'relaunched', kind: context.pendingClassification?.kind ?? 'unknown', evidence: context.pendingClassification?.evidence ?? '', change: event.change, suggestions: [], attempt } satisfies WorkerNotice);
    }),
    tellRecoveryEnded: sendParent(({ context, event }): WorkerNotice => {
      const output = (event as unknown as { output: RecoveryOutput }).output;
      return {
        type: 'worker.recovery',
        workerId: context.workerId,
        agent: context.agent,
        phase: 'ended',
        kind: output.kind,
        evidence: output.evidence,
        change: output.change,
        outcome: output.outcome,
        suggestions: output.suggestions,
        attempt: context.attempt,
      };
    }),
    tellRecoveryStarted: sendParent(({ context }): WorkerNotice => ({
      type: 'worker.recovery',
      workerId: context.workerId,
      agent: context.agent,
      phase: 'started',
      kind: context.pendingClassification?.kind ?? 'unknown',
      evidence: context.pendingClassification?.evidence ?? '',
      change: context.pendingClassification?.remedy.action === 'relaunch' ? context.pendingClassification.remedy.change : undefined,
      suggestions: context.pendingClassification?.remedy.action === 'escalate' ? context.pendingClassification.remedy.suggestions : [],
      attempt: context.attempt,
    })),
  },
}).createMachine({
  id: 'worker',
  // While an agent is live (launching, running), its events and exit are handled alike.
  context: ({ input }) => {
    // Thrown at start, this reaches the parent as an error event (its onError), not a crash.
    if (input.inputError) throw new Error(input.inputError);
    return { ...input, attempt: 1, status: 'idle', progress: 0, usage: ZERO, recoveries: 0 };
  },
  initial: 'idle',
  on: {
    'worker.stop': { target: '.stopping' },
  },
  states: {
    idle: { always: 'launching' },
    launching: {
      entry: [assign({ status: 'launching' }), 'spawnProcess'],
      on: { 'agent.spawned': { guard: 'isCurrent', target: 'running', actions: ['noteSpawn', 'armSilence'] }, ...LIVE },
    },
    running: {
      invoke: { src: 'resourceMonitor', input: ({ context }) => ({ pid: context.pid, limits: context.limits }) },
      on: {
        ...LIVE,
        'agent.classified': { guard: 'isCurrent', target: 'recovering', actions: 'holdClassification' },
        'worker.silenceCheck': { actions: ['tellSilent', 'armSilence'] },
        'worker.rearm': { actions: 'rearmSilence' },
        'worker.limitExceeded': { target: 'stopping', actions: assign({ failure: ({ event }) => `${event.limit} limit exceeded: ${event.detail}` }) },
      },
    },
    recovering: {
      entry: ['disarmSilence', 'tellRecoveryStarted', 'stopProcess'],
      invoke: {
        id: 'recovery',
        src: 'recovery',
        input: ({ context }) => ({
          workerId: context.workerId,
          agent: context.agent,
          // Entered only with a classification held (see holdClassification).
          classification: context.pendingClassification!,
          attempt: context.attempt,
          previousRecoveries: context.recoveries,
          maxAttempts: context.maxRecoveryAttempts,
          ...(context.pid === undefined ? {} : { pid: context.pid }),
          verifyTimeoutMs: context.verifyTimeoutMs,
        }),
        onDone: [
          // The relaunched run may already have ended while verification finished.
          { guard: ({ context, event }) => event.output.outcome === 'recovered' && context.exitCode === 0, target: 'exited', actions: 'tellRecoveryEnded' },
          { guard: ({ context, event }) => event.output.outcome === 'recovered' && context.exitCode === undefined, target: 'running', actions: ['tellRecoveryEnded', 'armSilence'] },
          { guard: ({ event }) => event.output.outcome === 'recovered', target: 'failed', actions: 'tellRecoveryEnded' },
          { target: 'failed', actions: [assign({ escalation: ({ event }) => event.output }), 'tellRecoveryEnded'] },
        ],
      },
      on: {
        'agent.events': {
          guard: 'isCurrent',
          actions: [
            'absorbEvents',
            'forwardEvents',
            enqueueActions(({ event, enqueue }) => {
              // Any sign of life other than a failure proves the corrected launch works.
              if (event.type === 'agent.events' && event.events.some((e) => e.type !== 'error')) enqueue.sendTo('recovery', { type: 'worker.progressed' });
            }),
          ],
        },
        'agent.exited': {
          guard: 'isCurrent',
          actions: [
            'noteExit',
            enqueueActions(({ event, enqueue }) => {
              if (event.type !== 'agent.exited' || (event.exitCode === 0 && !event.classification)) return;
              const reason = event.classification?.evidence ?? `exit code ${String(event.exitCode)}${event.signal ? ` (${event.signal})` : ''}`;
              enqueue.assign({ pendingClassification: event.classification });
              enqueue.sendTo('recovery', { type: 'worker.failedAgain', classification: event.classification, reason });
            }),
          ],
        },
        'agent.classified': {
          guard: 'isCurrent',
          // The relaunched agent still runs: stop it before recovery relaunches again.
          actions: ['stopProcess', sendTo('recovery', ({ event }) => ({ type: 'worker.failedAgain', classification: event.classification, reason: event.classification.evidence }))],
        },
        // A relaunch that could not even be launched has failed again (else recovery waits forever).
        'agent.failed': {
          guard: 'isCurrent',
          actions: ['noteExit', sendTo('recovery', ({ event }) => ({ type: 'worker.failedAgain', reason: event.error.message }))],
        },
        'recovery.relaunch': { actions: 'relaunch' },
        'agent.spawned': { guard: 'isCurrent', actions: ['noteSpawn', sendTo('recovery', ({ event }) => ({ type: 'worker.spawned', attempt: event.attempt, pid: event.pid }))] },
        // The failed process was stopped on entry (and a relaunched one may not exist yet), so
        // there is nothing to ask and no exit to wait for: stop whatever runs and end here.
        'worker.stop': { target: 'stopped', actions: 'stopProcess' },
      },
    },
    stopping: {
      entry: ['disarmSilence', 'askProcessToStop', assign({ status: 'stopped' })],
      on: {
        'agent.exited': { guard: 'isCurrent', target: 'stopped', actions: 'noteExit' },
        'agent.failed': { guard: 'isCurrent', target: 'stopped', actions: 'noteExit' },
      },
    },
    exited: { type: 'final', entry: [assign({ status: 'exited' }), 'disarmSilence'] },
    failed: { type: 'final', entry: [assign({ status: 'failed' }), 'disarmSilence'] },
    stopped: { type: 'final', entry: [assign({ status: 'stopped' }), 'disarmSilence'] },
  },
  output: ({ context }) => ({
    workerId: context.workerId,
    status: context.status === 'exited' || context.status === 'stopped' ? context.status : 'failed',
    exitCode: context.exitCode ?? null,
    finalText: context.finalText,
    structured: context.structured,
    usage: context.usage,
    agentSessionId: context.agentSessionId,
    escalation: context.escalation,
    failure: context.failure,
    classification: context.pendingClassification,
  }),
});
