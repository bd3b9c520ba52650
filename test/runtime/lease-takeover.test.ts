import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../helpers/postgres.js';
import { happyRules, runCli, sessionFixture } from '../helpers/session-fixture.js';
import { snapshotOf } from '../remote/remote-helpers.js';
import { startOrchestrator, waitUntil } from './crash-helpers.js';

const available = pgBin() !== undefined;
if (!available) process.stderr.write(`${PG_SKIP_REASON}\n`);

describe.skipIf(!available)('the session lease across hosts (PostgreSQL)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.create();
  }, 120_000);
  afterAll(() => cluster?.destroy());

  it('an orchestrator paused past its lease is taken over by a resume; woken, it stops without writing', async () => {
    const url = await cluster.createDb();
    const f = sessionFixture([{ match: { kind: 'implement' }, times: 1, respond: { actions: [{ shell: 'echo started > started.txt' }], behavior: 'hang' } }, ...happyRules()]);
    const env = { ...f.env, ORCHESTRATE_STORE: url, ORCHESTRATE_LEASE_TTL_MS: '3000' };
    const first = startOrchestrator(['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json'], env);
    expect(await waitUntil(() => existsSync(join(f.target, 'started.txt')), 60_000)).toBe(true);
    first.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3_500));
    const id = snapshotOf(url).sessions[0]?.id ?? '';
    // Another orchestrator (any host with the store) takes the expired lease and resumes.
    const resumed = await runCli(['resume', id, '--workspace', f.workspace, '--json'], env, 90_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ state: 'completed' });
    const before = snapshotOf(url).log(id).length;
    first.child.kill('SIGCONT');
    const woken = await first.done;
    expect(woken.code).not.toBe(0);
    const after = snapshotOf(url);
    expect(after.log(id)).toHaveLength(before);
    expect(after.log(id).map((e) => e.seq)).toEqual(Array.from({ length: before }, (_, i) => i + 1));
    expect(after.sessions[0]?.status).toBe('completed');
  }, 180_000);
});
