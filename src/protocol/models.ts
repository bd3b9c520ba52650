import { z } from 'zod';
import { AgentName, Role, Usage } from './events.js';

export const WORKER_STATUSES = [
  'idle',
  'launching',
  'running',
  'recovering',
  'paused',
  'exited',
  'failed',
  'stopped',
] as const;
export const WorkerStatus = z.enum(WORKER_STATUSES);
export type WorkerStatus = z.infer<typeof WorkerStatus>;

const Timestamp = z.iso.datetime({ offset: true });

export const WorkerState = z.strictObject({
  workerId: z.string().min(1),
  role: Role,
  agent: AgentName,
  status: WorkerStatus,
  attempt: z.number().int().nonnegative(),
  pid: z.number().int().positive().optional(),
  progress: z.number().min(0).max(100),
  currentTask: z.string().optional(),
  lastEventAt: Timestamp.optional(),
  startedAt: Timestamp.optional(),
  endedAt: Timestamp.optional(),
  exitCode: z.number().int().nullable().optional(),
  signal: z.string().nullable().optional(),
  usage: Usage,
  agentSessionId: z.string().optional(),
  error: z.string().optional(),
});
export type WorkerState = z.infer<typeof WorkerState>;

export const VERDICTS = ['approved', 'concern', 'blocker'] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

const wordCount = (s: string): number => s.split(/\s+/).filter(Boolean).length;

export const Finding = z.strictObject({
  severity: z.enum(['info', 'minor', 'major', 'critical']),
  text: z.string().min(1),
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
});
export type Finding = z.infer<typeof Finding>;

/** The JSON a reviewing agent must answer with. */
export const ReviewAnswer = z.strictObject({
  verdict: Verdict,
  summary: z
    .string()
    .min(1)
    .refine((s) => wordCount(s) <= 200, { message: 'summary must be at most 200 words' }),
  findings: z.array(Finding),
});
export type ReviewAnswer = z.infer<typeof ReviewAnswer>;

export const REVIEW_TRIGGERS = ['milestone', 'blocker', 'request', 'manual', 'silence', 'final'] as const;
export const ReviewTrigger = z.enum(REVIEW_TRIGGERS);
export type ReviewTrigger = z.infer<typeof ReviewTrigger>;

/**
 * One reviewer's recorded verdict. A reviewer that failed, timed out or answered
 * unparseably still produces a PeerReview (`outcome` says which) with verdict `concern`.
 */
export const PeerReview = z
  .strictObject({
    reviewId: z.string().min(1),
    reviewer: AgentName,
    subjectWorkerId: z.string().min(1),
    trigger: ReviewTrigger,
    outcome: z.enum(['answered', 'failed', 'timeout', 'unparseable']),
    verdict: Verdict,
    summary: z.string(),
    findings: z.array(Finding),
    timestamp: Timestamp,
  })
  .refine((r) => r.outcome === 'answered' || r.verdict === 'concern', {
    message: 'a reviewer that did not answer counts as a concern, never as approval or blocker',
    path: ['verdict'],
  });
export type PeerReview = z.infer<typeof PeerReview>;

export const DECISION_ACTIONS = ['CONTINUE', 'LOG_WARNING', 'PAUSE_AND_CLARIFY', 'STOP_AND_ESCALATE'] as const;
export const DecisionAction = z.enum(DECISION_ACTIONS);
export type DecisionAction = z.infer<typeof DecisionAction>;

export const OrchestratorDecision = z.strictObject({
  decisionId: z.string().min(1),
  reviewId: z.string().min(1),
  action: DecisionAction,
  policy: z.string().min(1),
  inputs: z.array(z.strictObject({ reviewer: AgentName, verdict: Verdict, outcome: PeerReview.shape.outcome })),
  reasons: z.array(z.string().min(1)).min(1),
  timestamp: Timestamp,
});
export type OrchestratorDecision = z.infer<typeof OrchestratorDecision>;

export const PlannedTask = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'task ids are short identifiers'),
  title: z.string().min(1),
  description: z.string().min(1),
  assignee: Role,
  dependencies: z.array(z.string()),
  acceptanceCriteria: z.array(z.string().min(1)).min(1),
});
export type PlannedTask = z.infer<typeof PlannedTask>;

/** Dependencies must name tasks of the plan and must not form a cycle. */
function dependencyProblems(tasks: readonly PlannedTask[]): string[] {
  const ids = new Set(tasks.map((t) => t.id));
  const problems: string[] = [];
  if (ids.size !== tasks.length) problems.push('task ids must be unique');
  for (const t of tasks) {
    for (const d of t.dependencies) if (!ids.has(d)) problems.push(`task ${t.id} depends on unknown task ${d}`);
  }
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      problems.push(`dependency cycle: ${[...path, id].join(' -> ')}`);
      return;
    }
    state.set(id, 'visiting');
    for (const d of byId.get(id)?.dependencies ?? []) if (byId.has(d)) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const t of tasks) visit(t.id, []);
  return problems;
}

export const TaskBreakdown = z
  .strictObject({
    summary: z.string().min(1),
    tasks: z.array(PlannedTask).min(1),
  })
  .superRefine((plan, ctx) => {
    for (const message of dependencyProblems(plan.tasks)) ctx.addIssue({ code: 'custom', message, path: ['tasks'] });
  });
export type TaskBreakdown = z.infer<typeof TaskBreakdown>;

/** Defaults are the seed's: 50% CPU, 2 GB, 1 hour per worker. */
export const ResourceLimits = z.strictObject({
  cpuPercent: z.number().positive().max(100 * 1024).default(50),
  memoryMb: z.number().int().positive().default(2048),
  runtimeMinutes: z.number().positive().default(60),
  /** CPU % is averaged over this many seconds: agents legitimately burst while building. */
  cpuWindowSeconds: z.number().positive().default(60),
});
export type ResourceLimits = z.infer<typeof ResourceLimits>;

export const SandboxConfig = z.strictObject({
  allowedRoots: z.array(z.string().min(1)).default([]),
  blockedCommands: z.array(z.string().min(1)).default(['rm -rf', 'dd', 'mkfs', 'fdisk', 'shred']),
  confirmCommands: z.array(z.string().min(1)).default(['git push', 'npm publish', 'pip install']),
  monitorPatterns: z.array(z.string().min(1)).default(['sudo', 'curl | sh', 'wget | sh']),
  limits: ResourceLimits.default({ cpuPercent: 50, memoryMb: 2048, runtimeMinutes: 60, cpuWindowSeconds: 60 }),
});
export type SandboxConfig = z.infer<typeof SandboxConfig>;

export const RECOVERY_KINDS = [
  'path_outside_workspace',
  'untrusted_git_directory',
  'untrusted_folder',
  'root_refusal',
  'permission_denials',
  'permission_denied',
  'auth',
  'quota',
  'api_error',
  'launch_config',
] as const;
export const RecoveryKind = z.enum(RECOVERY_KINDS);
export type RecoveryKind = z.infer<typeof RecoveryKind>;

export const RecoveryAction = z.strictObject({
  id: z.string().min(1),
  workerId: z.string().min(1),
  agent: AgentName,
  kind: RecoveryKind,
  /** What was seen: the error line that matched. */
  evidence: z.string(),
  action: z.enum(['relaunch', 'escalate']),
  /** For relaunches: what changed in the launch, e.g. `--include-directories /srv/data`. */
  change: z.string().optional(),
  suggestions: z.array(z.string()).default([]),
  attempt: z.number().int().positive(),
  outcome: z.enum(['pending', 'recovered', 'escalated', 'failed']),
  timestamp: Timestamp,
});
export type RecoveryAction = z.infer<typeof RecoveryAction>;

export const SESSION_STATUSES = [
  'planning',
  'implementing',
  'finalReview',
  'completed',
  'paused',
  'awaitingClarification',
  'escalated',
  'failed',
  'stopped',
] as const;
export const SessionStatus = z.enum(SESSION_STATUSES);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const Session = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'session ids are letters, digits, "-" and "_"'),
  task: z.string().min(1),
  target: z.string().min(1),
  workspace: z.string().min(1),
  status: SessionStatus,
  tier: z.number().int().min(1).max(5),
  roles: z.strictObject({ architect: AgentName, implementer: AgentName, reviewer: AgentName }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Session = z.infer<typeof Session>;
