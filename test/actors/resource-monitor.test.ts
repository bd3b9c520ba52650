import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { agentProcess } from '../../src/actors/agent-process.js';
import { groupUsage, statFields } from '../../src/actors/process-group-usage.js';
import { resourceMonitor } from '../../src/actors/resource-monitor.js';
import { awaitGroupExit } from '../../src/actors/review-request.js';
import { recoveryMachine } from '../../src/machines/recovery.js';
import { workerMachine, type WorkerInput } from '../../src/machines/worker.js';
import { fakeCommand, isAlive, tempDir } from '../helpers/fake-agents.js';

const worker = workerMachine.provide({ actors: { agentProcess, resourceMonitor, recovery: recoveryMachine.provide({ actors: { awaitGroupExit } }) } });

function input(env: Record<string, string>, limits: WorkerInput['limits']): WorkerInput {
  const dir = tempDir();
  return {
    sessionId: 's',
    workerId: 'implementer',
    role: 'implementer',
    agent: 'claude',
    adapter: 'claude',
    sessionDir: join(dir, 's'),
    request: { role: 'implementer', mode: 'work', prompt: 'spin', cwd: dir, workspace: dir, extraDirs: [], command: fakeCommand('claude'), env: { FAKE_SCENARIO: 'multi', ...env } },
    silenceMs: 60_000,
    maxRecoveryAttempts: 0,
    verifyTimeoutMs: 1000,
    limits,
  };
}

describe('resource limits over the whole process group', () => {
  it('reads CPU time and RSS of a process group from /proc', () => {
    expect(statFields('123 (a (weird) name) S 1 123 123 0')[0]).toBe('S');
    const mine = groupUsage(Number(statFields(readFileSync('/proc/self/stat', 'utf8'))[2]));
    expect(mine?.processes).toBeGreaterThan(0);
    expect(mine?.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('stops a CPU-spinning agent within 2 s of crossing its CPU limit', async () => {
    const marker = join(tempDir(), 'spin-at');
    const actor = createActor(worker, { input: input({ FAKE_BEHAVIOR: 'spin', FAKE_SPIN_FILE: marker }, { cpuPercent: 50, memoryMb: 4096, runtimeMinutes: 60, cpuWindowSeconds: 1 }) });
    actor.start();
    const output = await toPromise(actor);
    const stoppedAt = Date.now();
    expect(output.status).toBe('stopped');
    expect(output.failure).toMatch(/^cpu limit exceeded: \d+% CPU over 1 s > 50%/);
    // crossing happens once a full 1 s window of spinning is sampled (≤ 1 s window + 1 s sample
    // interval); the stop follows within 2 s. Counted from the spin's start, not the actor's:
    // starting a Node process on a loaded CI runner took seconds on its own.
    expect(existsSync(marker)).toBe(true);
    expect(stoppedAt - Number(readFileSync(marker, 'utf8'))).toBeLessThan(1000 + 1000 + 2000);
    expect(actor.getSnapshot().context.pid && isAlive(actor.getSnapshot().context.pid ?? 0)).toBeFalsy();
  });

  it('stops a memory-hogging agent within 2 s of crossing its memory limit', async () => {
    const marker = join(tempDir(), 'hog-at');
    const actor = createActor(worker, { input: input({ FAKE_BEHAVIOR: 'hog', FAKE_HOG_MB: '300', FAKE_HOG_MARK_MB: '150', FAKE_HOG_FILE: marker }, { cpuPercent: 10_000, memoryMb: 150, runtimeMinutes: 60 }) });
    actor.start();
    const output = await toPromise(actor);
    const stoppedAt = Date.now();
    expect(output.status).toBe('stopped');
    expect(output.failure).toMatch(/^memory limit exceeded: \d+ MB resident > 150 MB/);
    expect(existsSync(marker)).toBe(true);
    expect(stoppedAt - Number(readFileSync(marker, 'utf8'))).toBeLessThan(2000);
  });

  it('stops an agent that runs past its runtime limit', async () => {
    const actor = createActor(worker, { input: input({ FAKE_BEHAVIOR: 'hang' }, { cpuPercent: 10_000, memoryMb: 4096, runtimeMinutes: 0.02 }) });
    actor.start();
    const output = await toPromise(actor);
    expect(output.failure).toMatch(/^runtime limit exceeded/);
  });
});
