import { describe, expect, it } from 'vitest';
import {
  OrchestratorDecision,
  PeerReview,
  RecoveryAction,
  ReviewAnswer,
  SandboxConfig,
  Session,
  TaskBreakdown,
  WorkerState,
} from '../../src/protocol/index.js';

const ts = '2026-11-23T22:30:21.230Z';
const roundTrip = <T>(schema: { parse: (v: unknown) => T }, value: unknown): void => {
  const parsed = schema.parse(value);
  expect(schema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
};

const worker = {
  workerId: 'implementer',
  role: 'implementer',
  agent: 'claude',
  status: 'running',
  attempt: 1,
  pid: 4242,
  progress: 30,
  currentTask: 't1',
  lastEventAt: ts,
  usage: { inputTokens: 1, outputTokens: 2, cachedTokens: 0 },
};
const review = {
  reviewId: 'r1',
  reviewer: 'codex',
  subjectWorkerId: 'implementer',
  trigger: 'milestone',
  outcome: 'answered',
  verdict: 'approved',
  summary: 'Looks right.',
  findings: [{ severity: 'minor', text: 'rename x', file: 'a.ts', line: 3 }],
  timestamp: ts,
};
const task = (id: string, dependencies: string[] = []) => ({
  id,
  title: `task ${id}`,
  description: 'do it',
  assignee: 'implementer',
  dependencies,
  acceptanceCriteria: ['tests pass'],
});

describe('models', () => {
  it('round-trip', () => {
    roundTrip(WorkerState, worker);
    roundTrip(PeerReview, review);
    roundTrip(ReviewAnswer, { verdict: 'concern', summary: 'One issue.', findings: [] });
    roundTrip(OrchestratorDecision, {
      decisionId: 'd1',
      reviewId: 'r1',
      action: 'LOG_WARNING',
      policy: 'four-rule',
      inputs: [{ reviewer: 'codex', verdict: 'concern', outcome: 'answered' }],
      reasons: ['exactly one concern'],
      timestamp: ts,
    });
    roundTrip(TaskBreakdown, { summary: 'plan', tasks: [task('a'), task('b', ['a'])] });
    roundTrip(SandboxConfig, {});
    roundTrip(RecoveryAction, {
      id: 'x',
      workerId: 'architect',
      agent: 'gemini',
      kind: 'path_outside_workspace',
      evidence: 'Path not in workspace: ...',
      action: 'relaunch',
      change: '--include-directories /srv',
      attempt: 1,
      outcome: 'pending',
      timestamp: ts,
    });
    roundTrip(Session, {
      id: 'orch_20261123_1',
      task: 'Implement auth',
      target: '/srv/app',
      workspace: '/srv/ws',
      status: 'planning',
      tier: 1,
      roles: { architect: 'gemini', implementer: 'claude', reviewer: 'codex' },
      createdAt: ts,
      updatedAt: ts,
    });
  });

  it('fills the seed defaults for the sandbox', () => {
    const s = SandboxConfig.parse({});
    expect(s.limits).toEqual({ cpuPercent: 50, memoryMb: 2048, runtimeMinutes: 60, cpuWindowSeconds: 60 });
    expect(s.blockedCommands).toContain('rm -rf');
    expect(s.confirmCommands).toContain('git push');
    expect(s.monitorPatterns).toContain('sudo');
  });

  it('rejects a worker with an unknown status or progress out of range', () => {
    expect(WorkerState.safeParse({ ...worker, status: 'dancing' }).success).toBe(false);
    expect(WorkerState.safeParse({ ...worker, progress: -1 }).success).toBe(false);
  });

  it('never lets a reviewer that did not answer approve', () => {
    const r = PeerReview.safeParse({ ...review, outcome: 'timeout', verdict: 'approved' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/counts as a concern/);
    expect(PeerReview.parse({ ...review, outcome: 'timeout', verdict: 'concern' }).outcome).toBe('timeout');
  });

  it('caps review summaries at 200 words', () => {
    const long = Array.from({ length: 201 }, (_, i) => `w${i}`).join(' ');
    const r = ReviewAnswer.safeParse({ verdict: 'approved', summary: long, findings: [] });
    expect(r.error?.issues[0]?.message).toMatch(/200 words/);
    expect(ReviewAnswer.safeParse({ verdict: 'maybe', summary: 'x', findings: [] }).success).toBe(false);
  });

  it('rejects plans with unknown dependencies, duplicates or cycles, naming the problem', () => {
    const messages = (tasks: unknown[]) =>
      TaskBreakdown.safeParse({ summary: 's', tasks }).error?.issues.map((i) => i.message) ?? [];
    expect(messages([task('a', ['zz'])])).toContain('task a depends on unknown task zz');
    expect(messages([task('a'), task('a')])).toContain('task ids must be unique');
    expect(messages([task('a', ['b']), task('b', ['a'])]).join()).toMatch(/dependency cycle: a -> b -> a/);
    expect(messages([])).not.toHaveLength(0);
  });

  it('rejects decisions without reasons and unknown actions', () => {
    const d = { decisionId: 'd', reviewId: 'r', action: 'CONTINUE', policy: 'p', inputs: [], reasons: [], timestamp: ts };
    expect(OrchestratorDecision.safeParse(d).success).toBe(false);
    expect(OrchestratorDecision.safeParse({ ...d, reasons: ['ok'], action: 'PANIC' }).success).toBe(false);
  });

  it('rejects sessions with path-like ids and tiers outside 1..5', () => {
    const s = Session.shape;
    expect(s.id.safeParse('../etc').success).toBe(false);
    expect(s.tier.safeParse(6).success).toBe(false);
    expect(RecoveryAction.shape.kind.safeParse('cosmic_ray').success).toBe(false);
  });
});
