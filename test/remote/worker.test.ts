import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TcpPartition } from '../helpers/tcp-partition.js';
import { happyRules, runCli, sessionFixture, type Rule } from '../helpers/session-fixture.js';
import { startOrchestrator, waitUntil } from '../runtime/crash-helpers.js';
import { checkLog, expectFenced, pgAvailable, remoteEnv, runsOf, sessionArgs, snapshotOf, startWorker, stopAll, suiteCluster, takenOver, type Proc } from './remote-helpers.js';

const available = pgAvailable();

/** Reads the dashboard URL `serve` prints, then one session's SSE stream until it completes: the session states seen. */
async function followOneSession(serve: Proc): Promise<string[]> {
  let out = '';
  serve.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitUntil(() => /^dashboard: \S+$/m.test(out), 30_000);
  const url = new URL(/^dashboard: (\S+)$/m.exec(out)?.[1] ?? '');
  const headers = { authorization: `Bearer ${url.searchParams.get('token') ?? ''}` };
  const base = `http://${url.host}`;
  let id: string | undefined;
  for (const end = Date.now() + 30_000; !id && Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    id = ((await (await fetch(`${base}/api/sessions`, { headers })).json()) as { id: string }[])[0]?.id;
  }
  const res = await fetch(`${base}/api/sessions/${id ?? ''}/events/stream?since=0`, { headers });
  const reader = res.body?.getReader();
  const states: string[] = [];
  let text = '';
  let lastSeq = 0;
  while (reader && states.at(-1) !== 'completed') {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += Buffer.from(chunk.value).toString();
    for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
      const data = /^data: (.*)$/m.exec(text.slice(0, i))?.[1];
      text = text.slice(i + 2);
      if (!data) continue;
      const e = JSON.parse(data) as { seq: number; type: string; payload: { state?: string } };
      expect(e.seq).toBe(lastSeq + 1);
      lastSeq = e.seq;
      if (e.type === 'session.state' && e.payload.state) states.push(e.payload.state);
    }
  }
  await reader?.cancel();
  return states;
}

const slow = (ms: number): Rule[] => happyRules().map((r) => ({ ...r, respond: { delayMs: ms, ...r.respond } }));

describe.skipIf(!available)('orchestrate worker: agent runs on a shared PostgreSQL queue', () => {
  const suite = suiteCluster();

  it('two workers share the queue; two --remote sessions complete with gap-free logs', async () => {
    const url = await suite.cluster.createDb();
    const a = sessionFixture(slow(200));
    const b = sessionFixture(slow(200));
    const workers = [startWorker(remoteEnv(a, url)), startWorker(remoteEnv(a, url))];
    // One dashboard process for the store, sharing nothing else with the sessions.
    const serve = startOrchestrator(['serve', '--port', '0'], remoteEnv(a, url));
    suite.procs.push(...workers, serve);
    const running = Promise.all([runCli(sessionArgs(a), remoteEnv(a, url), 120_000), runCli(sessionArgs(b), remoteEnv(b, url), 120_000)]);
    const live = followOneSession(serve);
    const [ra, rb] = await running;
    // It followed a session driven by another process live, to its end, in seq order.
    const seen = await live;
    expect(seen.at(-1)).toBe('completed');
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const store = snapshotOf(url);
    expect(store.sessions.map((s) => s.status)).toEqual(['completed', 'completed']);
    for (const s of store.sessions) {
      const { gapFree, duplicates } = checkLog(store.log(s.id));
      expect(gapFree).toBe(true);
      expect(duplicates).toEqual([]);
      // The architect and the implementer ran on workers; every run ended once.
      const runs = store.runs(s.id);
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect(runs.every((r) => r.state === 'done' && r.epoch === 1)).toBe(true);
      // An agent run ends with its exit, a reviewer run with its verdict.
      expect(store.log(s.id).filter((e) => e.type === 'run.exited' || e.type === 'run.reviewed')).toHaveLength(runs.length);
    }
    expect(existsSync(join(a.target, 'greet.js')) && existsSync(join(b.target, 'greet.test.js'))).toBe(true);
    // Any host with the store's address sees both sessions.
    const listed = await runCli(['sessions', '--json', '--store', url], a.env);
    expect((JSON.parse(listed.stdout) as { status: string }[]).map((x) => x.status)).toEqual(['completed', 'completed']);
    await stopAll([...workers, serve]);
    // Both workers took runs.
    for (const w of workers) expect((await w.done).stdout).toMatch(/taken/);
  }, 180_000);

  it('a worker SIGKILLed mid-run: the run is taken over by another worker and the session completes', async () => {
    const url = await suite.cluster.createDb();
    const f = sessionFixture([{ match: { kind: 'implement', task: 't1' }, times: 1, respond: { actions: [{ shell: 'echo started > started.txt' }], behavior: 'hang' } }, ...happyRules()]);
    const env = remoteEnv(f, url);
    const first = startWorker(env);
    suite.procs.push(first);
    const session = runCli(sessionArgs(f), env, 120_000);
    expect(await waitUntil(() => existsSync(join(f.target, 'started.txt')), 60_000)).toBe(true);
    first.child.kill('SIGKILL');
    await first.done;
    const second = startWorker(env);
    suite.procs.push(second);
    const r = await session;
    expect(r.code, r.stderr).toBe(0);
    const store = snapshotOf(url);
    const id = store.sessions[0]?.id ?? '';
    expect(store.sessions[0]?.status).toBe('completed');
    const { gapFree, duplicates } = checkLog(store.log(id));
    expect(gapFree).toBe(true);
    expect(duplicates).toEqual([]);
    const taken = store.runs(id).find((run) => run.runId.includes('/t1/') || run.epoch > 1);
    expect(taken?.epoch).toBe(2);
    expect(taken?.state).toBe('done');
    await stopAll([second]);
  }, 180_000);

  it('a SIGSTOPped worker past its lease: another takes the run over; after SIGCONT nothing it writes gets in', async () => {
    const url = await suite.cluster.createDb();
    // The first launch of t1 keeps printing after a pause: what the paused worker would write on waking.
    const f = sessionFixture([
      { match: { kind: 'implement', task: 't1' }, times: 1, respond: { actions: [{ shell: 'echo started > started.txt' }], delayMs: 3000, text: 'late words of the paused run' } },
      ...happyRules(),
    ]);
    const env = remoteEnv(f, url);
    const paused = startWorker(env);
    suite.procs.push(paused);
    const session = runCli(sessionArgs(f), env, 120_000);
    expect(await waitUntil(() => existsSync(join(f.target, 'started.txt')), 60_000)).toBe(true);
    paused.child.kill('SIGSTOP');
    const successor = startWorker(env);
    suite.procs.push(successor);
    // Wait until the run was taken over (epoch 2), and past the paused run's own end.
    expect(await waitUntil(() => takenOver(url), 60_000), runsOf(url)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000));
    paused.child.kill('SIGCONT');
    const r = await session;
    expect(r.code, r.stderr).toBe(0);
    await stopAll([paused, successor]);
    const out = await paused.done;
    expect(out.stdout).toMatch(/: lost/);
    expect(expectFenced(url, 'late words of the paused run')?.state).toBe('done');
  }, 180_000);

  it('a worker cut off from PostgreSQL (a partition): its run is taken over; after healing nothing it writes gets in', async () => {
    const url = await suite.cluster.createDb();
    const relay = await TcpPartition.start(suite.cluster.port);
    const f = sessionFixture([
      { match: { kind: 'implement', task: 't1' }, times: 1, respond: { actions: [{ shell: 'echo started > started.txt' }], delayMs: 3000, text: 'late words of the cut-off run' } },
      ...happyRules(),
    ]);
    const env = remoteEnv(f, url);
    // This worker reaches the database only through the relay.
    const cutOff = startWorker({ ...env, ORCHESTRATE_STORE: url.replace(`:${suite.cluster.port}/`, `:${relay.port}/`) });
    suite.procs.push(cutOff);
    const session = runCli(sessionArgs(f), env, 120_000);
    expect(await waitUntil(() => existsSync(join(f.target, 'started.txt')), 60_000)).toBe(true);
    await relay.partition();
    const other = startWorker(env);
    suite.procs.push(other);
    expect(await waitUntil(() => takenOver(url), 60_000), runsOf(url)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000));
    await relay.heal();
    const r = await session;
    expect(r.code, r.stderr).toBe(0);
    await stopAll([cutOff, other]);
    await relay.close();
    expectFenced(url, 'late words of the cut-off run');
  }, 180_000);
});
