/**
 * Events and inputs that cross between machines and the effect actors that the
 * runtime provides. Types only: machines stay free of I/O imports.
 */
import type { Classification, LaunchRequest } from '../agents/types.js';
import type { AgentEventDraft, AgentEventInput, PeerReview, ReviewTrigger } from '../protocol/index.js';

export type { Classification, LaunchRequest };

/** Identity and launch data only: an actor restored from a snapshot re-runs from this. */
export interface AgentProcessInput {
  sessionId: string;
  workerId: string;
  agent: string;
  adapter: 'claude' | 'codex' | 'gemini' | 'jsonl';
  attempt: number;
  request: LaunchRequest;
  /** The session's workspace directory (`workspace/<session>`). */
  sessionDir: string;
  maxLineBytes?: number;
  stderrTailBytes?: number;
  killGraceMs?: number;
  /**
   * The worker's resource limits. A local run is measured by the worker machine's own monitor;
   * a run executed on another host (`orchestrate worker`) can only be measured there, so the
   * limits travel with the launch.
   */
  limits?: WorkerLimits | undefined;
}

export type AgentProcessEvent =
  | { type: 'agent.spawned'; workerId: string; attempt: number; pid: number; command: string; args: string[] }
  /** Committed events of one agent run, in log order (a chunk of its output: one machine step, not one per event). */
  | { type: 'agent.events'; workerId: string; attempt: number; events: AgentEventInput[] }
  /** A recognised failure seen while the agent still runs (e.g. a path outside the workspace). */
  | { type: 'agent.classified'; workerId: string; attempt: number; classification: Classification }
  | {
      type: 'agent.exited';
      workerId: string;
      attempt: number;
      exitCode: number | null;
      signal: string | null;
      stoppedByRequest: boolean;
      stderrTail: string;
      errorEvents: AgentEventDraft[];
      classification?: Classification | undefined;
    }
  | { type: 'agent.failed'; workerId: string; attempt: number; error: { kind: 'io_failed'; message: string } };

export type AgentProcessCommand = { type: 'agent.stop' };

export interface WorkerLimits {
  cpuPercent: number;
  memoryMb: number;
  runtimeMinutes: number;
  /** CPU is averaged over this window (default 60 s): agents burst while compiling. */
  cpuWindowSeconds?: number;
}

export interface ResourceMonitorInput {
  pid?: number | undefined;
  limits?: WorkerLimits | undefined;
  intervalMs?: number;
}

export type ResourceMonitorEvent = { type: 'worker.limitExceeded'; limit: 'cpu' | 'memory' | 'runtime'; detail: string };

/** One reviewer's run: the runtime launches the agent in review mode and parses its verdict. */
export interface ReviewerRunInput {
  sessionId: string;
  reviewId: string;
  reviewer: string;
  subjectWorkerId: string;
  trigger: ReviewTrigger;
  prompt: string;
  /** The reviewer reviews its own work (tier 5): it must run read-only. */
  selfReview: boolean;
}

/** Always resolves: failures are a PeerReview with outcome failed/unparseable, never a rejection. */
export type ReviewerRunOutput = PeerReview;

