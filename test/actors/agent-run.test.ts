import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentRun, mergedJson, rawPathOf, type AgentRunExit } from '../../src/actors/agent-run.js';
import { getAdapter, type AdapterName } from '../../src/agents/registry.js';
import type { LaunchRequest } from '../../src/agents/types.js';
import { AgentEventInput } from '../../src/protocol/index.js';
import { fakeCommand, isAlive, linesFile, readLaunches, tempDir } from '../helpers/fake-agents.js';

interface Outcome {
  exit: AgentRunExit;
  events: AgentEventInput[];
  pid: number | undefined;
  dir: string;
}

function request(dir: string, command: string, prompt = 'Do two steps'): LaunchRequest {
  return { role: 'implementer', mode: 'work', prompt, cwd: dir, workspace: dir, extraDirs: [], command };
}

function start(opts: {
  adapter?: AdapterName;
  cli?: 'claude' | 'codex' | 'gemini';
  env: Record<string, string>;
  maxLineBytes?: number;
  killGraceMs?: number;
  attempt?: number;
  prompt?: string;
  afterCommit?: (fn: () => void, lost?: () => void) => void;
}): { run: AgentRun; done: Promise<Outcome>; events: AgentEventInput[]; dir: string } {
  const dir = tempDir();
  const cli = opts.cli ?? 'claude';
  const adapterName = opts.adapter ?? cli;
  const adapter = getAdapter(adapterName);
  const spec = adapter.buildCommand({ ...request(dir, fakeCommand(cli), opts.prompt), env: opts.env });
  const events: AgentEventInput[] = [];
  let pid: number | undefined;
  const run = new AgentRun(
    {
      sessionId: 'sess-1',
      workerId: 'implementer',
      agent: cli,
      attempt: opts.attempt ?? 1,
      adapter,
      spec,
      sessionDir: join(dir, 'ws', 'sess-1'),
      maxLineBytes: opts.maxLineBytes ?? 1024 * 1024,
      stderrTailBytes: 4096,
      killGraceMs: opts.killGraceMs ?? 2000,
    },
    { onSpawn: (p) => (pid = p), onEvents: (batch) => events.push(...batch), ...(opts.afterCommit ? { afterCommit: opts.afterCommit } : {}) },
  );
  const done = run.run().then((exit) => ({ exit, events, pid, dir }));
  return { run, done, events, dir };
}

const kinds = (events: AgentEventInput[]): string[] => events.map((e) => e.payload.kind ?? e.type);
const until = async (check: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('AgentRun with fake agents', () => {
  it('replays a recorded Claude run: events stamped and handed on, raw stream kept', async () => {
    const argvFile = join(tempDir(), 'argv.jsonl');
    const { done } = start({ env: { FAKE_SCENARIO: 'multi', FAKE_DELAY_MS: '5', FAKE_ARGV_FILE: argvFile }, attempt: 2 });
    const { exit, events, dir } = await done;
    expect(exit.exitCode).toBe(0);
    expect(kinds(events).filter((k) => k === 'tool.call')).toHaveLength(2);
    expect(kinds(events)).toContain('run.completed');
    expect(kinds(events).at(-1)).toBe('process.exited');
    for (const e of events) {
      expect(AgentEventInput.parse(e)).toEqual(e);
      expect(e).toMatchObject({ sessionId: 'sess-1', workerId: 'implementer', agent: 'claude', attempt: 2 });
    }
    // The normalized copy is the log's (runtime/agent-copies.ts), not the run's.
    expect(existsSync(join(dir, 'ws', 'sess-1', 'claude.jsonl'))).toBe(false);
    const raw = readFileSync(`${rawPathOf(join(dir, 'ws', 'sess-1'), 'implementer', 2, 'claude')}.stdout.log`, 'utf8');
    const recorded = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'transcripts', 'claude', 'multi.stdout.jsonl'), 'utf8');
    expect(raw).toBe(recorded);
    const [launch] = readLaunches(argvFile);
    expect(launch?.argv).toContain('Do two steps');
  });

  it('closes its files only after the raw lines waiting for their commit are written, however late it lands', async () => {
    // A log committing on another thread lands after the agent has exited.
    const { done } = start({ env: { FAKE_SCENARIO: 'multi' }, afterCommit: (fn) => setTimeout(fn, 100) });
    const { exit, events, dir } = await done;
    expect(exit.exitCode).toBe(0);
    expect(kinds(events)).not.toContain('io.failed');
    const raw = readFileSync(`${rawPathOf(join(dir, 'ws', 'sess-1'), 'implementer', 1, 'claude')}.stdout.log`, 'utf8');
    expect(raw).toBe(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'transcripts', 'claude', 'multi.stdout.jsonl'), 'utf8'));
  });

  it('still ends when the log refused the lines the raw copy waits for (they stay out of it)', async () => {
    const { done } = start({ env: { FAKE_SCENARIO: 'multi' }, afterCommit: (_fn, lost) => setTimeout(() => lost?.(), 50) });
    const { exit, dir } = await done;
    expect(exit.exitCode).toBe(0);
    expect(readFileSync(`${rawPathOf(join(dir, 'ws', 'sess-1'), 'implementer', 1, 'claude')}.stdout.log`, 'utf8')).toBe('');
  });

  it('cuts a 10 MB line into one error event and keeps reading', async () => {
    const { done } = start({ env: { FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'long-line' }, maxLineBytes: 256 * 1024 });
    const { exit, events } = await done;
    const cut = events.filter((e) => e.payload.kind === 'stream.line_too_long');
    expect(cut).toHaveLength(1);
    expect(cut[0]?.payload.text).toMatch(/10485\d\d\d bytes exceeded the 262144-byte limit/);
    expect(kinds(events)).toContain('run.completed');
    expect(exit.exitCode).toBe(0);
  });

  it('turns binary garbage into error events that keep the raw text, never a crash', async () => {
    const { done } = start({ env: { FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'garbage', FAKE_GARBAGE_BYTES: '20000' } });
    const { events } = await done;
    const bad = events.filter((e) => e.payload.kind === 'stream.unparseable');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.every((e) => typeof e.payload.raw === 'string')).toBe(true);
    expect(kinds(events)).toContain('run.completed');
  });

  it('reports a crash mid-stream: partial line kept, signal reported', async () => {
    const { done } = start({ env: { FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'crash', FAKE_CRASH_AFTER: '3' } });
    const { exit, events } = await done;
    expect(exit.signal).toBe('SIGKILL');
    expect(kinds(events).filter((k) => k === 'tool.call')).toHaveLength(1);
    expect(kinds(events)).toContain('stream.unparseable');
    const last = events.at(-1);
    expect(last?.type).toBe('error');
    expect(last?.payload.text).toMatch(/ended by SIGKILL/);
  });

  it('reports a chosen exit code and keeps the stderr tail for classifiers', async () => {
    const { done } = start({ cli: 'codex', env: { FAKE_SCENARIO: 'nogit' } });
    const { exit, events } = await done;
    expect(exit.exitCode).toBe(1);
    expect(exit.stderrTail).toContain('Not inside a trusted directory and --skip-git-repo-check was not specified.');
    expect(events.at(-1)?.payload).toMatchObject({ kind: 'process.exited', exitCode: 1 });
  });

  it('reads a flood of 1M lines to the end with bounded memory', async () => {
    const dir = tempDir();
    const file = linesFile(dir, ['{"type":"turn.started"}', '{"type":"turn.started"}']);
    const before = process.memoryUsage().rss;
    const { done } = start({ cli: 'codex', env: { FAKE_SCENARIO: file, FAKE_BEHAVIOR: 'flood', FAKE_FLOOD_LINES: '1000000' } });
    const { exit, dir: runDir } = await done;
    expect(exit.exitCode).toBe(0);
    const raw = readFileSync(`${rawPathOf(join(runDir, 'ws', 'sess-1'), 'implementer', 1, 'codex')}.stdout.log`, 'utf8');
    expect(raw.split('\n').length - 1).toBe(1_000_000);
    // The reader applies backpressure; nothing proportional to the flood stays in memory.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);

  it('stops reading a flooding agent while its events wait for their commit, and reads on once they land', async () => {
    const dir = tempDir();
    const file = linesFile(dir, ['{"type":"progress","payload":{"text":"step"}}']);
    const held: (() => void)[] = [];
    let holding = true;
    const { done, events } = start({
      cli: 'codex',
      adapter: 'jsonl',
      env: { FAKE_SCENARIO: file, FAKE_BEHAVIOR: 'flood', FAKE_FLOOD_LINES: '600000' },
      afterCommit: (fn) => (holding ? held.push(fn) : fn()),
    });
    await until(() => held.length >= 64);
    await new Promise((r) => setTimeout(r, 300));
    // 64 chunks of at most 64 KiB wait; nothing more was read meanwhile (46 bytes a line).
    expect(held.length).toBe(64);
    const read = events.length;
    expect(read).toBeLessThanOrEqual(64 * Math.ceil(65536 / 46));
    holding = false;
    for (const fn of held.splice(0)) fn();
    const { exit } = await done;
    expect(exit.exitCode).toBe(0);
    expect(events.length).toBeGreaterThan(read);
    expect(events.filter((e) => e.payload.text === 'step')).toHaveLength(600_000);
  }, 60_000);

  it('stops a silent agent gracefully on request', async () => {
    const { run, done, events } = start({ env: { FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'hang' } });
    await until(() => events.length > 0);
    run.stop();
    const { exit } = await done;
    expect(exit.signal).toBe('SIGTERM');
    expect(exit.stoppedByRequest).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'status', payload: { kind: 'process.exited', stopped: true } });
  });

  it('kills an agent that ignores SIGTERM after the grace period', async () => {
    const { run, done, events } = start({ env: { FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'ignore-term' }, killGraceMs: 300 });
    // The fake installs its SIGTERM handler before it prints its first line.
    await until(() => events.length > 0);
    run.stop();
    const { exit } = await done;
    expect(exit.signal).toBe('SIGKILL');
  });

  it('leaves no orphans: a forked grandchild dies with the group', async () => {
    const pidFile = join(tempDir(), 'child.pid');
    const { run, done } = start({ env: { FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'fork', FAKE_CHILD_PID_FILE: pidFile } });
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(grandchild)).toBe(true);
    run.stop();
    await done;
    await until(() => !isAlive(grandchild), 5000);
  });

  it('reports a binary that does not exist as an error event, not an exception', async () => {
    const dir = tempDir();
    const adapter = getAdapter('claude');
    const spec = adapter.buildCommand(request(dir, join(dir, 'no-such-claude')));
    const events: AgentEventInput[] = [];
    const run = new AgentRun(
      { sessionId: 's', workerId: 'w', agent: 'claude', attempt: 1, adapter, spec, sessionDir: join(dir, 's'), maxLineBytes: 1024, stderrTailBytes: 1024, killGraceMs: 100 },
      { onSpawn: () => undefined, onEvents: (batch) => events.push(...batch) },
    );
    const exit = await run.run();
    expect(exit.exitCode).toBeNull();
    expect(events[0]).toMatchObject({ type: 'error', payload: { kind: 'process.spawn_failed' } });
    expect(events[0]?.payload.text).toMatch(/ENOENT|no-such-claude/);
  });

  it('passes long prompts on stdin', async () => {
    const argvFile = join(tempDir(), 'argv.jsonl');
    const prompt = `review this diff\n${'+ line\n'.repeat(20_000)}`;
    const { done } = start({ env: { FAKE_SCENARIO: 'text', FAKE_ARGV_FILE: argvFile }, prompt });
    await done;
    const [launch] = readLaunches(argvFile);
    expect(launch?.stdin).toBe(prompt);
    expect(launch?.argv).not.toContain(prompt);
  });
});

describe('mergedJson (launch files that keep existing settings)', () => {
  it('defaults under the base file, ours over it; a missing or broken base is skipped', () => {
    const dir = tempDir('merge-');
    const base = join(dir, 'user.json');
    writeFileSync(base, JSON.stringify({ telemetry: { enabled: true, target: 'local' }, hooks: { AfterTool: [1] }, tools: { sandbox: true } }));
    const ours = JSON.stringify({ hooks: { BeforeTool: [2] } });
    const defaults = { telemetry: { enabled: false }, general: { enableAutoUpdate: false } };
    expect(JSON.parse(mergedJson(base, ours, defaults))).toEqual({
      telemetry: { enabled: true, target: 'local' },
      general: { enableAutoUpdate: false },
      hooks: { AfterTool: [1], BeforeTool: [2] },
      tools: { sandbox: true },
    });
    expect(JSON.parse(mergedJson(join(dir, 'missing.json'), ours, defaults))).toEqual({ ...defaults, hooks: { BeforeTool: [2] } });
    writeFileSync(join(dir, 'broken.json'), '{not json');
    expect(JSON.parse(mergedJson(join(dir, 'broken.json'), ours))).toEqual({ hooks: { BeforeTool: [2] } });
  });
});
