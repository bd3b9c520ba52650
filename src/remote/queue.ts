import PgBoss from 'pg-boss';
import { z } from 'zod';

/** One queue per agent, so a worker only takes runs of the agents it has installed. */
export const queueName = (agent: string): string => `orchestrate-run-${agent.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** What a job carries: only the run's id; the launch itself is in the `runs` table. */
export const RunJob = z.object({ runId: z.string().min(1) });
export type RunJob = z.infer<typeof RunJob>;

export interface FetchedJob {
  agent: string;
  id: string;
  runId: string;
}

const QUEUE_CREATE_TRIES = 5;

/**
 * The agent-run queue on pg-boss (in its own `pgboss` schema of the same database). Delivery
 * only: whether a run may execute is decided by its lease row (`runs`), so a job delivered twice,
 * or again after its worker died, never runs an agent twice at the same time.
 */
export class RunQueue {
  private readonly created = new Set<string>();

  private constructor(private readonly boss: PgBoss) {}

  static async open(url: string, onError: (error: Error) => void): Promise<RunQueue> {
    const boss = new PgBoss({ connectionString: url, max: 3, application_name: 'orchestrate-queue', schedule: false });
    boss.on('error', onError);
    await boss.start();
    return new RunQueue(boss);
  }

  private async ensure(agent: string): Promise<string> {
    const name = queueName(agent);
    if (this.created.has(name)) return name;
    for (let attempt = 1; ; attempt++) {
      try {
        // Retries are the runs table's business (a lease that expired); pg-boss only delivers.
        // A job outliving 4 h is failed by pg-boss; its run, if unfinished, is queued again by the session.
        if (!(await this.boss.getQueue(name))) await this.boss.createQueue(name, { name, policy: 'standard', retryLimit: 0, expireInSeconds: 4 * 3600 });
        break;
      } catch (error) {
        // Two processes creating the same queue at once (pg-boss makes a table per queue): one
        // of them fails with "deadlock detected" or a duplicate; the queue is then there, or the
        // next try makes it. Seen as an escalated session ("could not queue the run").
        if (attempt >= QUEUE_CREATE_TRIES) throw error;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
    this.created.add(name);
    return name;
  }

  async send(agent: string, job: RunJob): Promise<void> {
    const id = await this.boss.send(await this.ensure(agent), RunJob.parse(job), { retryLimit: 0 });
    if (id === null) throw new Error(`the queue refused run ${job.runId}`);
  }

  /** The next job of any of these agents' queues, or undefined. */
  async fetch(agents: readonly string[]): Promise<FetchedJob | undefined> {
    for (const agent of agents) {
      const jobs = await this.boss.fetch<unknown>(await this.ensure(agent), { batchSize: 1 });
      const job = jobs?.[0];
      if (!job) continue;
      const parsed = RunJob.safeParse(job.data);
      if (!parsed.success) {
        await this.boss.fail(queueName(agent), job.id, { error: 'not an orchestrate run job' });
        continue;
      }
      return { agent, id: job.id, runId: parsed.data.runId };
    }
    return undefined;
  }

  async complete(job: FetchedJob): Promise<void> {
    await this.boss.complete(queueName(job.agent), job.id);
  }

  async fail(job: FetchedJob, reason: string): Promise<void> {
    await this.boss.fail(queueName(job.agent), job.id, { error: reason });
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, timeout: 5_000 });
  }
}
