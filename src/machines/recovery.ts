import { assign, sendParent, setup } from 'xstate';
import type { Classification, LaunchRequest } from './events.js';
import { promiseNotProvided } from './not-provided.js';

export interface RecoveryInput {
  workerId: string;
  agent: string;
  classification: Classification;
  /** The launch that failed. */
  attempt: number;
  /** Recoveries already done for this worker (bounds relaunch loops across runs). */
  previousRecoveries: number;
  maxAttempts: number;
  /** Process group of the failed run, to wait for its end before relaunching. */
  pid?: number;
  verifyTimeoutMs: number;
}

export interface RecoveryOutput {
  outcome: 'recovered' | 'escalated';
  kind: Classification['kind'];
  evidence: string;
  change?: string;
  suggestions: string[];
  attempts: number;
}

export type RecoveryEvent =
  | { type: 'worker.spawned'; attempt: number; pid?: number | undefined }
  | { type: 'worker.progressed' }
  | { type: 'worker.failedAgain'; classification?: Classification | undefined; reason: string };

/** What a recovery asks of its worker. */
export type RecoveryRequest =
  | { type: 'recovery.relaunch'; request: LaunchRequest; change: string }
  | { type: 'recovery.escalated'; output: RecoveryOutput };

interface RecoveryContext extends RecoveryInput {
  attempts: number;
  suggestions: string[];
  failure?: string;
  outcome?: RecoveryOutput['outcome'];
}

/**
 * classifying → stopping → relaunching → verifying → recovered | escalated.
 * The worker owns the agent process; this machine decides and asks.
 */
export const recoveryMachine = setup({
  types: {
    input: {} as RecoveryInput,
    context: {} as RecoveryContext,
    events: {} as RecoveryEvent,
    output: {} as RecoveryOutput,
  },
  actors: {
    awaitGroupExit: promiseNotProvided<void, { pid?: number | undefined }>('awaitGroupExit'),
  },
  guards: {
    canRelaunch: ({ context }) =>
      context.classification.remedy.action === 'relaunch' && context.previousRecoveries + context.attempts < context.maxAttempts,
  },
  actions: {
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1 }),
    askRelaunch: sendParent(({ context }): RecoveryRequest => {
      const remedy = context.classification.remedy;
      if (remedy.action !== 'relaunch') throw new Error('askRelaunch needs a relaunch remedy');
      return { type: 'recovery.relaunch', request: remedy.request, change: remedy.change };
    }),
    noteFailure: assign({
      failure: ({ event }) => (event.type === 'worker.failedAgain' ? event.reason : 'the relaunched agent did not report progress in time'),
    }),
    adoptNewClassification: assign({
      classification: ({ context, event }) =>
        event.type === 'worker.failedAgain' && event.classification ? event.classification : context.classification,
    }),
    collectSuggestions: assign({
      suggestions: ({ context }) => {
        const remedy = context.classification.remedy;
        const base = remedy.action === 'escalate' ? remedy.suggestions : [`The corrected launch (${remedy.change}) did not help.`];
        const bound =
          remedy.action === 'relaunch' && context.previousRecoveries + context.attempts >= context.maxAttempts
            ? [`Gave up after ${context.maxAttempts} recovery attempt(s).`]
            : [];
        return [...base, ...bound, ...(context.failure ? [`Last failure: ${context.failure}`] : [])];
      },
    }),
  },
  delays: {
    verifyTimeout: ({ context }) => context.verifyTimeoutMs,
  },
}).createMachine({
  id: 'recovery',
  context: ({ input }) => ({ ...input, attempts: 0, suggestions: [] }),
  initial: 'classifying',
  states: {
    classifying: {
      always: [{ guard: 'canRelaunch', target: 'stopping', actions: 'countAttempt' }, { target: 'escalated' }],
    },
    stopping: {
      invoke: {
        src: 'awaitGroupExit',
        input: ({ context }) => ({ pid: context.pid }),
        onDone: 'relaunching',
        // Waiting is best effort: a group we cannot observe is treated as gone.
        onError: 'relaunching',
      },
    },
    relaunching: {
      entry: 'askRelaunch',
      on: {
        // The relaunched run's group is the one to wait for if it fails again.
        'worker.spawned': { target: 'verifying', actions: assign({ pid: ({ context, event }) => event.pid ?? context.pid }) },
        'worker.failedAgain': { target: 'classifying', actions: ['noteFailure', 'adoptNewClassification'] },
      },
    },
    verifying: {
      on: {
        'worker.progressed': 'recovered',
        'worker.failedAgain': { target: 'classifying', actions: ['noteFailure', 'adoptNewClassification'] },
      },
      after: { verifyTimeout: { target: 'escalated', actions: 'noteFailure' } },
    },
    recovered: { type: 'final', entry: assign({ outcome: 'recovered' as const }) },
    escalated: { type: 'final', entry: ['collectSuggestions', assign({ outcome: 'escalated' as const })] },
  },
  output: ({ context }) => {
    const remedy = context.classification.remedy;
    return {
      outcome: context.outcome ?? 'escalated',
      kind: context.classification.kind,
      evidence: context.classification.evidence,
      ...(remedy.action === 'relaunch' ? { change: remedy.change } : {}),
      suggestions: context.suggestions,
      attempts: context.attempts,
    };
  },
});

