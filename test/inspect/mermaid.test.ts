import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHARTS } from '../../src/inspect/charts.js';
import { toMermaid } from '../../src/inspect/mermaid.js';
import { inspectReport, renderOne, renderReport } from '../../src/inspect/report.js';

const SNAPSHOT = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inspect', 'snapshot-recovering.json'), 'utf8')) as unknown;

// Reviewed by hand against src/machines/recovery.ts: every state, initial and final marker,
// transition (event, guard, target) and the active state.
const RECOVERY_VERIFYING = `stateDiagram-v2
  %% session/implementer/recovery (recovery) · active · verifying
  classDef active fill:#fde68a,stroke:#b45309,stroke-width:2px
  [*] --> classifying
  state "classifying" as classifying
  state "stopping" as stopping
  state "relaunching" as relaunching
  state "verifying" as verifying
  state "recovered" as recovered
  recovered --> [*]
  state "escalated" as escalated
  escalated --> [*]
  classifying --> stopping : always [canRelaunch]
  classifying --> escalated : always
  stopping --> relaunching : done
  stopping --> relaunching : error
  relaunching --> verifying : worker.spawned
  relaunching --> classifying : worker.failedAgain
  verifying --> recovered : worker.progressed
  verifying --> classifying : worker.failedAgain
  verifying --> escalated : after verifyTimeout
  class verifying active
`;

describe('Mermaid statecharts', () => {
  const report = inspectReport({ sessionId: 'orch_fixture', snapshot: SNAPSHOT, machineVersion: 'v1', savedAt: '2026-11-24T05:00:00.000Z' }, 'v1');
  if ('kind' in report) throw new Error(report.message);

  it('draws the recovery of a known snapshot exactly', () => {
    const recovery = report.machines.find((m) => m.path === 'session/implementer/recovery');
    expect(recovery).toBeDefined();
    expect(renderOne(recovery!, 'mermaid')).toBe(RECOVERY_VERIFYING);
  });

  it('draws nested states as composite blocks and the root transitions from "(any state)"', () => {
    const session = report.machines[0]!;
    const text = renderOne(session, 'mermaid');
    expect(text).toContain('  state implementing {\n    [*] --> implementing_next\n    state "next" as implementing_next\n    state "working" as implementing_working\n    state "reviewing" as implementing_reviewing\n  }\n');
    expect(text).toContain('  state "(any state)" as any_\n');
    expect(text).toContain('  any_ --> stopped : user.stop\n');
    expect(text).toContain('  implementing_reviewing --> implementing_next : done: phaseReview [decisionIs(CONTINUE)]\n');
    expect(text).toContain('  planning_working --> planning_reviewing : done: architect [workerExited && planValid]\n');
    expect(text.trimEnd().split('\n').at(-1)).toBe('  class implementing,implementing_working active');
  });

  it('gives every actor that runs a statechart its own diagram, with a heading saying where it is', () => {
    const md = renderReport(report, 'mermaid');
    expect(md.match(/```mermaid\n/g)).toHaveLength(4);
    expect(md).toContain('## session (session) · active · implementing.working\n');
    expect(md).toContain('## session/implementer (worker) · active · recovering\n');
    expect(md).toContain('## session/review-2 (review) · active · collecting\n');
    expect(md).toContain('  class recovering active\n');
    expect(md).toContain('  class collecting active\n');
    // Process and promise actors have no statechart: they are in the tree, not drawn.
    expect(md).not.toContain('proc-2 (');
  });

  it('says when the snapshot was written by other statecharts', () => {
    const old = inspectReport({ sessionId: 'orch_fixture', snapshot: SNAPSHOT, machineVersion: 'v0', savedAt: 'x' }, 'v1');
    if ('kind' in old) throw new Error(old.message);
    expect(old.current).toBe(false);
    expect(renderReport(old, 'mermaid')).toContain('by other statecharts (version v0)');
  });

  it('keeps labels on one line and ids free of dots', () => {
    for (const chart of Object.values(CHARTS)) {
      for (const line of toMermaid(chart).split('\n').filter((l) => l.includes('-->'))) {
        const [ids] = line.split(' : ');
        expect(ids).not.toMatch(/\w\.\w/);
      }
    }
  });
});
