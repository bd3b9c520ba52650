import type { WorkerPhase } from '../view/index.js';

/** A colour name for Ink, or undefined when colour is off (NO_COLOR, a dumb terminal). */
export const tint = (on: boolean, color: string): string | undefined => (on ? color : undefined);

export const PHASE_COLOR: Record<string, string> = {
  planning: 'cyan',
  implementing: 'blue',
  finalReview: 'magenta',
  completed: 'green',
  paused: 'yellow',
  awaitingClarification: 'yellow',
  escalated: 'red',
  failed: 'red',
  stopped: 'gray',
};

export const WORKER_COLOR: Record<WorkerPhase, string> = { running: 'green', recovering: 'yellow', exited: 'gray', failed: 'red', stopped: 'gray' };

export const ACTION_COLOR: Record<string, string> = { CONTINUE: 'green', LOG_WARNING: 'yellow', PAUSE_AND_CLARIFY: 'yellow', STOP_AND_ESCALATE: 'red' };

export const VERDICT_COLOR: Record<string, string> = { approved: 'green', concern: 'yellow', blocker: 'red' };

/** An escalation shows at most this many suggestions (the rest are in the log). */
export const MAX_SUGGESTIONS = 3;
