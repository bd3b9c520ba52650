import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../src/machines/session.js';
import type { LogEntry } from '../../src/persistence/types.js';
import { App } from '../../src/tui/app.js';
import { StoreContext } from '../../src/tui/context.js';
import { createTuiStore, type TuiStore } from '../../src/tui/store.js';
import { initialView } from '../../src/view/index.js';

let seq = 0;
const T0 = Date.UTC(2026, 0, 1);
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const rec = (type: string, payload: Record<string, unknown>): LogEntry => ({ sessionId: 's1', seq: ++seq, type, agent: 'orchestrate', workerId: 'session', attempt: 0, timestamp: at(seq), payload: { text: type, ...payload } });
const ev = (workerId: string, agent: string, type: string, payload: Record<string, unknown>, usage?: LogEntry['usage']): LogEntry => ({
  sessionId: 's1',
  seq: ++seq,
  type,
  agent,
  workerId,
  attempt: 1,
  timestamp: at(seq),
  payload: { text: `${type} text`, ...payload },
  ...(usage ? { usage } : {}),
});

const stores: TuiStore[] = [];
function mount(o: { readOnly?: string; entries?: LogEntry[]; rows?: number } = {}) {
  const store = createTuiStore({ view: initialView('s1', { task: 'Add a greeting' }), color: false, readOnly: o.readOnly, tickMs: 0, intervalMs: 10, clock: () => T0 + 60_000, rows: o.rows ?? 40 });
  stores.push(store);
  const sent: SessionEvent[] = [];
  const app = render(
    <StoreContext.Provider value={store}>
      <App send={o.readOnly === undefined ? (e) => sent.push(e) : undefined} />
    </StoreContext.Provider>,
  );
  if (o.entries) store.push(o.entries);
  return { store, sent, app, frame: () => app.lastFrame() ?? '' };
}

const session = (): LogEntry[] => [
  rec('session.started', { tier: 2, reason: 'codex missing', task: 'Add a greeting' }),
  rec('process.spawned', { workerId: 'architect', agent: 'gemini', attempt: 1, pid: 7 }),
  ev('architect', 'gemini', 'status', { kind: 'process.exited', exitCode: 0 }, { inputTokens: 1200, outputTokens: 30, cachedTokens: 0 }),
  rec('session.plan', { plan: { summary: 'Greeting', tasks: [{ id: 't1', title: 'Write greet.js' }] } }),
  rec('review.decided', { reviewId: 'review-1', action: 'LOG_WARNING', reasons: ['one concern'], reviews: [{ reviewer: 'gemini', verdict: 'concern', outcome: 'answered', summary: 'naming', trigger: 'milestone', subjectWorkerId: 'architect' }] }),
  rec('process.spawned', { workerId: 'implementer', agent: 'claude', attempt: 1, pid: 8 }),
  rec('session.state', { state: 'implementing.working' }),
  rec('session.task', { taskId: 't1', title: 'Write greet.js', index: 0, total: 1 }),
  ev('implementer', 'claude', 'task', { kind: 'plan.updated', progress: 50 }),
  ev('implementer', 'claude', 'progress', { kind: 'tool.call', text: 'Bash: npm test' }, { inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd: 0.25 }),
  ev('implementer', 'claude', 'error', { kind: 'tool.failed', text: 'npm test failed' }),
];

const until = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 10 });
const press = async (app: ReturnType<typeof render>, keys: string): Promise<void> => {
  for (const k of keys) {
    app.stdin.write(k);
    await new Promise((r) => setTimeout(r, 5));
  }
};

afterEach(() => {
  for (const s of stores.splice(0)) s.dispose();
});

describe('terminal UI components', () => {
  it('shows phase, tier, one row per worker, the latest review and the event log', async () => {
    seq = 0;
    const { frame, app } = mount({ entries: session() });
    await until(() => expect(frame()).toContain('implementing.working'));
    const f = frame();
    expect(f).toContain('tier 2');
    expect(f).toContain('step 1/1: t1 Write greet.js');
    expect(f).toMatch(/architect\(gemini\)\s+exited\s+█{10} 100%\s+1200↑ 30↓/);
    expect(f).toMatch(/implementer\(claude\)\s+running\s+█{5}░{5} 50%\s+10↑ 5↓ \$0\.25\s+49s\s+t1: Write greet\.js · np/);
    expect(f).toMatch(/review-1 milestone→architect gemini=concern → LOG_WARNING · one concern/);
    expect(f).toMatch(/implementer\(claude\)\s+tool\.failed\s+npm test failed/);
    expect(f).toContain('p pause · r resume · s stop');
    app.unmount();
  });

  it('filters the log by agent and type with /', async () => {
    seq = 0;
    const { frame, app } = mount({ entries: session() });
    await until(() => expect(frame()).toContain('tool.failed'));
    await press(app, '/t:error\r');
    await until(() => expect(frame()).toContain('[filter: type:error]'));
    const log = frame().split('─ events')[1] ?? '';
    expect(log).toContain('npm test failed');
    expect(log).not.toContain('Bash: npm test');
    expect(log).not.toContain('session.task');
    app.unmount();
  });

  it('turns keys into root-actor events: pause, review, stop after confirmation', async () => {
    seq = 0;
    const { sent, app, frame } = mount({ entries: session() });
    await until(() => expect(frame()).toContain('implementing.working'));
    await press(app, 'pvs');
    await until(() => expect(frame()).toContain('Stop the session?'));
    expect(sent).toEqual([{ type: 'user.pause' }, { type: 'user.review' }]);
    await press(app, 'y');
    await until(() => expect(sent.at(-1)).toEqual({ type: 'user.stop' }));
    app.unmount();
  });

  it('shows an escalation as a prompt answered in place', async () => {
    seq = 0;
    const { sent, app, frame, store } = mount({ entries: [...session(), rec('session.state', { state: 'escalated' }), rec('session.escalated', { reason: 'gemini: blocker — unsafe', suggestions: ['check the plan'] })] });
    await until(() => expect(frame()).toContain('ESCALATED: gemini: blocker — unsafe'));
    expect(frame()).toContain('- check the plan');
    expect(frame()).toContain('a approve · x reject');
    await press(app, 'a');
    await until(() => expect(sent).toEqual([{ type: 'user.approve' }]));
    store.push([rec('session.state', { state: 'awaitingClarification' }), rec('session.question', { text: 'Postgres or SQLite?' })]);
    await until(() => expect(frame()).toContain('QUESTION: Postgres or SQLite?'));
    await press(app, 'c');
    await until(() => expect(frame()).toContain('your answer:'));
    await press(app, 'sqlite\r');
    await until(() => expect(sent.at(-1)).toEqual({ type: 'user.clarify', text: 'sqlite' }));
    app.unmount();
  });

  it('read-only: says so, and sends nothing', async () => {
    seq = 0;
    const { frame, app } = mount({ readOnly: 'driven by another process', entries: session() });
    await until(() => expect(frame()).toContain('[read-only]'));
    expect(frame()).toContain('read-only (driven by another process)');
    await press(app, 'p');
    await until(() => expect(frame()).toContain('read-only: driven by another process'));
    app.unmount();
  });

  it('stays responsive during a flood: a key is handled, renders follow the batched updates', async () => {
    seq = 0;
    const { store, sent, app, frame } = mount({ entries: session() });
    await until(() => expect(frame()).toContain('implementing.working'));
    const framesBefore = app.frames.length;
    const toldBefore = store.notifications();
    let flooding = true;
    let pushed = 0;
    let last = '';
    // 500 events per event-loop turn until the key got through, like an agent stream.
    const flood = (): void => {
      if (!flooding) return;
      store.push(Array.from({ length: 500 }, () => ev('implementer', 'claude', 'progress', { kind: 'tool.call', text: (last = `call ${seq + 1}`) })));
      pushed += 500;
      setImmediate(flood);
    };
    flood();
    await new Promise((r) => setTimeout(r, 50));
    app.stdin.write('p');
    await until(() => expect(sent).toEqual([{ type: 'user.pause' }]));
    await until(() => expect(pushed).toBeGreaterThan(20_000));
    flooding = false;
    await until(() => expect(frame()).toContain(last));
    const renders = app.frames.length - framesBefore;
    // Every render comes from a store notification (batches, the key): never one per event.
    expect(renders).toBeLessThanOrEqual(store.notifications() - toldBefore + 1);
    // At most one notification per batch window that saw entries (plus the key): never one per event.
    expect(store.notifications() - toldBefore).toBeLessThanOrEqual(pushed / 500 + 1);
    app.unmount();
  });
});
