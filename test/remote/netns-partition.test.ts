import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupUsage } from '../../src/actors/process-group-usage.js';
import { NetnsLink, netnsUnavailable } from '../helpers/netns.js';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../helpers/postgres.js';
import { happyRules, runCli, sessionFixture, type Fixture } from '../helpers/session-fixture.js';
import { waitUntil } from '../runtime/crash-helpers.js';
import { expectFenced, remoteEnv, runsOf, sessionArgs, snapshotOf, startWorker, stopAll, takenOver, type Proc } from './remote-helpers.js';

const noPg = pgBin() === undefined;
const noNetns = noPg ? undefined : netnsUnavailable();
if (noPg) process.stderr.write(`${PG_SKIP_REASON}\n`);
// Said, not silently skipped: the TCP-relay partition test in worker.test.ts still runs.
if (noNetns) process.stderr.write(`network-namespace partition tests skipped: ${noNetns}\n`);

/**
 * PostgreSQL runs in a namespace of its own, reachable over a veth pair from a second namespace
 * only, where the worker to be cut off runs; the session and the successor worker (this host's
 * namespace) reach it by its Unix socket, which no link cut touches.
 */
describe.skipIf(noPg || noNetns !== undefined)('a worker partitioned from PostgreSQL by a real link (network namespaces)', () => {
  let link: NetnsLink | undefined;
  let cluster: PgCluster | undefined;
  const procs: Proc[] = [];
  beforeAll(async () => {
    link = NetnsLink.create();
    cluster = await PgCluster.create({ netns: link.db, listen: NetnsLink.DB_ADDRESS, allow: NetnsLink.SUBNET });
  }, 120_000);
  afterAll(async () => {
    // Whatever failed above: heal first (a cut-off worker could not stop cleanly), then stop
    // every process, the server, and remove both namespaces (and with them the link).
    try {
      link?.heal();
    } catch {
      // the namespace is already gone
    }
    await stopAll(procs);
    cluster?.destroy();
    link?.destroy();
  }, 60_000);

  /** A session with its own database, a worker in the cut-off namespace and the fixture. */
  async function setUp(f: Fixture) {
    if (!cluster || !link) throw new Error('no cluster');
    const db = await cluster.createDbNamed();
    const url = cluster.url(db);
    const env = remoteEnv(f, url);
    const cutOff = link.startInWorkerNs(['worker', '--agents', 'claude,codex,gemini', '--concurrency', '1'], { ...env, ORCHESTRATE_STORE: cluster.tcpUrl(db) });
    procs.push(cutOff);
    const session = runCli(sessionArgs(f), env, 150_000);
    expect(await waitUntil(() => existsSync(join(f.target, 'started.txt')), 60_000)).toBe(true);
    return { url, env, cutOff, session };
  }

  it('the link goes down mid-run: another worker takes the run over; after healing nothing of the first epoch gets in', async () => {
    // The first launch of t1 prints again after a pause: what the cut-off worker has to write.
    const f = sessionFixture([
      { match: { kind: 'implement', task: 't1' }, times: 1, respond: { actions: [{ shell: 'echo started > started.txt' }], delayMs: 3000, text: 'late words of the cut-off run' } },
      ...happyRules(),
    ]);
    const { url, env, cutOff, session } = await setUp(f);
    link?.cut();
    const other = startWorker(env);
    procs.push(other);
    expect(await waitUntil(() => takenOver(url), 60_000), runsOf(url)).toBe(true);
    // Past the moment the cut-off run had its late words to write.
    await new Promise((r) => setTimeout(r, 3_000));
    link?.heal();
    const r = await session;
    expect(r.code, r.stderr).toBe(0);
    await stopAll([cutOff, other]);
    expect((await cutOff.done).stdout).toMatch(/: lost/);
    expect(expectFenced(url, 'late words of the cut-off run')?.state).toBe('done');
    expect(snapshotOf(url).sessions[0]?.status).toBe('completed');
  }, 200_000);

  it('a cut-off worker whose agent is quiet stops it before its run lease could run out, link still down', async () => {
    // Nothing to write after the start: only the lease tells the worker it is cut off.
    const f = sessionFixture([{ match: { kind: 'implement', task: 't1' }, times: 1, respond: { actions: [{ shell: 'echo started > started.txt' }], behavior: 'hang' } }, ...happyRules()]);
    const { url, env, cutOff, session } = await setUp(f);
    const id = snapshotOf(url).sessions[0]?.id ?? '';
    const spawned = snapshotOf(url)
      .log(id)
      .find((e) => e.type === 'run.spawned' && e.workerId === 'implementer');
    const pgid = Number((spawned?.payload.control as { pid?: number } | undefined)?.pid);
    expect(groupUsage(pgid)?.processes).toBeGreaterThan(0);
    link?.cut();
    const cutAt = Date.now();
    // Lease 3 s (remoteEnv): given up by its end at the latest, plus the agent's kill grace (3 s).
    expect(await waitUntil(() => groupUsage(pgid)?.processes === 0, 15_000)).toBe(true);
    expect(Date.now() - cutAt).toBeLessThan(3_000 + 3_000 + 1_500);
    // Only now a successor: the run is taken over and the session completes.
    const other = startWorker(env);
    procs.push(other);
    expect(await waitUntil(() => takenOver(url), 60_000), runsOf(url)).toBe(true);
    link?.heal();
    const r = await session;
    expect(r.code, r.stderr).toBe(0);
    await stopAll([cutOff, other]);
    const out = await cutOff.done;
    expect(out.stdout).toMatch(/: lost/);
    expect(out.stderr).toMatch(/could not be renewed before it ran out/);
    expectFenced(url, 'no late words here');
  }, 200_000);
});
