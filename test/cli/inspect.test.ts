import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InspectRecord } from '../../src/inspect/live.js';
import { happyRules, runCli, sessionFixture, type Fixture } from '../helpers/session-fixture.js';
import { readLog, startOrchestrator, waitUntil } from '../runtime/crash-helpers.js';

const task = (f: Fixture, ...extra: string[]): string[] => ['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json', ...extra];
const db = (f: Fixture): string => join(f.workspace, 'orchestrate.db');
const inspect = (f: Fixture, ...args: string[]) => runCli(['inspect', ...args, '--workspace', f.workspace], f.env);

describe('orchestrate inspect and --inspect', () => {
  let done: Fixture;
  let doneId: string;

  beforeAll(async () => {
    done = sessionFixture(happyRules());
    const r = await runCli(task(done, '--inspect'), done.env);
    expect(r.code, r.stderr).toBe(0);
    doneId = (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { sessionId: string }).sessionId;
  }, 180_000);

  it('draws a finished session in Mermaid, DOT and JSON with its final state active', async () => {
    const md = await inspect(done, doneId);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain(`# Session ${doneId}`);
    expect(md.stdout).toContain('## session (session) · done · completed');
    expect(md.stdout).toContain('  class completed active\n');
    const dot = await inspect(done, doneId, '--format', 'dot');
    expect(dot.code).toBe(0);
    expect(execFileSync('dot', ['-Tsvg'], { input: dot.stdout, encoding: 'utf8' })).toContain('<svg');
    const json = JSON.parse((await inspect(done, doneId, '-f', 'json')).stdout) as { current: boolean; machines: { path: string; active: string[] }[]; charts: Record<string, unknown> };
    expect(json.current).toBe(true);
    expect(json.machines).toEqual([expect.objectContaining({ path: 'session', active: ['session', 'session.completed'] })]);
    expect(Object.keys(json.charts)).toEqual(['session', 'worker', 'review', 'recovery']);
  });

  it('wrote every inspection record to inspect.jsonl, events redacted, and every transition to the log', () => {
    const records = readFileSync(join(done.workspace, doneId, 'inspect.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as InspectRecord);
    expect(new Set(records.map((r) => r.type))).toEqual(new Set(['inspect.actor', 'inspect.event', 'inspect.transition', 'inspect.snapshot']));
    expect(records.some((r) => r.actor === 'session/implementer' && r.type === 'inspect.snapshot' && r.value === 'running')).toBe(true);
    const text = JSON.stringify(records);
    // The prompts the agents were given, the files they wrote, the task itself: not in the file.
    expect(text).not.toContain('You are the');
    expect(text).not.toContain('export const greet');
    expect(text).not.toContain('"Add a greeting"');
    const transitions = readLog(db(done)).rows.filter((r) => r.type === 'machine.transition').map((r) => (JSON.parse(r.payload) as { text: string }).text);
    expect(transitions).toContain('session: {"planning":"working"} → {"planning":"reviewing"} (xstate.done.actor.architect)');
    expect(transitions.at(-1)).toMatch(/→ done/);
  });

  it('draws a running session from its saved snapshot, one actor raw with --actor', async () => {
    const f = sessionFixture([{ match: { kind: 'implement' }, respond: { actions: [{ shell: 'echo started > started.txt' }], behavior: 'hang' } }, ...happyRules()]);
    const live = startOrchestrator(task(f), f.env);
    try {
      await waitUntil(() => existsSync(join(f.target, 'started.txt')), 30_000);
      const id = readLog(db(f)).sessionId ?? '';
      // The snapshot is saved at the end of the turn that spawned the agent: poll for it.
      for (let i = 0; i < 50 && !(await inspect(f, id)).stdout.includes('class running active'); i++) await new Promise((r) => setTimeout(r, 100));
      const md = await inspect(f, id);
      expect(md.stdout).toContain('## session (session) · active · implementing.working');
      expect(md.stdout).toContain('  class implementing,implementing_working active\n');
      expect(md.stdout).toContain('## session/implementer (worker) · active · running');
      const one = await inspect(f, id, '--actor', 'session/implementer');
      expect(one.stdout.startsWith('stateDiagram-v2\n')).toBe(true);
      expect(one.stdout.trimEnd().endsWith('class running active')).toBe(true);
      const missing = await inspect(f, id, '--actor', 'session/nobody');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no statechart actor "session\/nobody" .* it has: session, session\/implementer/);
    } finally {
      live.child.kill('SIGKILL');
      await live.done;
      for (const r of readLog(db(f)).rows.filter((row) => row.type === 'process.spawned')) {
        try {
          process.kill(-(JSON.parse(r.payload) as { pid: number }).pid, 'SIGKILL');
        } catch {
          // Gone with the orchestrator (the sandbox kills it with its parent).
        }
      }
    }
  }, 60_000);

  it('says what is wrong with an unknown session, a missing store or a bad format', async () => {
    const unknown = await inspect(done, 'orch_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no session "orch_nope"/);
    const nowhere = await runCli(['inspect', doneId, '--workspace', join(done.dir, 'empty')], done.env);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/no session store at/);
    const format = await inspect(done, doneId, '--format', 'svg');
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/Allowed choices are mermaid, dot, json/);
  });
});
