import { describe, expect, it } from 'vitest';
import { PgStore } from '../../src/persistence/postgres/store.js';
import { happyRules, runCli, sessionFixture, verdict } from '../helpers/session-fixture.js';
import { checkLog, pgAvailable, remoteEnv, sessionArgs, snapshotOf, startWorker, stopAll, suiteCluster } from './remote-helpers.js';

const available = pgAvailable();

describe.skipIf(!available)('reviewer runs of --remote sessions go to the workers', () => {
  const suite = suiteCluster();

  it('each reviewer is launched by a worker that has its agent, and its verdict decides the review', async () => {
    const url = await suite.cluster.createDb();
    // The final review's reviewer has one concern: the decision must be made from that verdict.
    const f = sessionFixture([{ match: { kind: 'final-review' }, respond: verdict('concern', 'One naming nit from the worker.') }, ...happyRules()]);
    const env = remoteEnv(f, url);
    // One worker without the reviewer's agent (codex), one with only it.
    const workers = { 'claude,gemini': startWorker(env, 2, 'claude,gemini'), codex: startWorker(env, 2, 'codex') };
    suite.procs.push(...Object.values(workers));
    const r = await runCli(sessionArgs(f), env, 150_000);
    expect(r.code, r.stderr).toBe(0);

    const store = snapshotOf(url);
    const id = store.sessions[0]?.id ?? '';
    const log = store.log(id);
    expect(store.sessions[0]?.status).toBe('completed');
    expect(checkLog(log)).toEqual({ gapFree: true, duplicates: [] });
    const reviewRuns = store.runs(id).filter((run) => (run.input as { kind?: string }).kind === 'review');
    // The plan review, two task reviews and the final review, each asked of the reviewer.
    expect(reviewRuns.length).toBeGreaterThanOrEqual(4);
    const ownerPid = (owner: string | undefined): number => Number(owner?.split(':')[1]);
    for (const run of store.runs(id)) {
      expect(run.state).toBe('done');
      // Taken by the worker that has this run's agent (the owner is host:pid:worker:nonce).
      const by = Object.entries(workers).find(([, w]) => w.child.pid === ownerPid(run.owner))?.[0];
      expect(by?.split(',')).toContain(run.agent);
    }
    // Both workers had work: routing is by agent, not by who asks first.
    expect(new Set(store.runs(id).map((run) => ownerPid(run.owner)))).toEqual(new Set(Object.values(workers).map((w) => w.child.pid)));
    // The reviewer role (codex) went to the codex-only worker; peer reviewers to the other.
    expect(reviewRuns.map((run) => run.agent)).toContain('codex');
    // The verdicts came through the log from the worker, and are the session's reviews.
    const verdicts = log.filter((e) => e.type === 'run.reviewed');
    expect(verdicts).toHaveLength(reviewRuns.length);
    const pg = new PgStore(url);
    const reviews = pg.reviews(id);
    pg.close();
    expect(reviews.map((x) => x.outcome)).toEqual(reviewRuns.map(() => 'answered'));
    expect(reviews.find((x) => x.verdict === 'concern')?.summary).toBe('One naming nit from the worker.');
    const decided = log.filter((e) => e.type === 'review.decided').map((e) => e.payload.action);
    expect(decided.at(-1)).toBe('LOG_WARNING');
    // The session's own process launched nothing (it records every process it spawns).
    expect(log.filter((e) => e.type === 'process.spawned')).toEqual([]);
    // The reviewer's agent events are in the log under its run, e.g. its final answer.
    expect(log.some((e) => e.agent === 'codex' && e.key?.startsWith(reviewRuns[0]?.runId ?? '?') && e.type !== 'run.reviewed')).toBe(true);
    await stopAll(Object.values(workers));
  }, 200_000);
});
