import { join } from 'node:path';
import { OrchestrateConfigSchema } from '../../src/config/schema.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { probeAgents } from '../../src/probe/probe.js';
import { chooseTier } from '../../src/probe/tiers.js';
import { startSession, type SessionHandle } from '../../src/runtime/run-session.js';
import { tuneV8 } from '../../src/runtime/v8-tuning.js';
import { newSessionId } from '../../src/runtime/workspace.js';
import { startServer, type RunningServer } from '../../src/server/listen.js';
import { SessionRegistry } from '../../src/server/registry.js';
import { CLI } from './paths.js';
import { benchConfig, benchEnv, type BenchDirs } from './fixture.js';

export interface LiveBench {
  store: SqliteStore;
  handles: SessionHandle[];
  server: RunningServer | undefined;
  close(): Promise<void>;
}

/**
 * `count` sessions driven in this process exactly as `orchestrate "task"` drives one (probe,
 * tier, startSession, the dashboard server over the same store), each with the fake agent.
 */
export async function startLive(dirs: BenchDirs, fakeEnv: Record<string, string>, opts: { count?: number; server?: boolean } = {}): Promise<LiveBench> {
  // As the CLI's entry does (this process hosts the sessions).
  tuneV8();
  const env = benchEnv(dirs);
  const config = OrchestrateConfigSchema.parse(benchConfig(fakeEnv));
  const tier = chooseTier(config.roles, await probeAgents(config, env));
  if (!tier.ok) throw new Error(`bench: no usable tier: ${tier.reason}`);
  const store = new SqliteStore(join(dirs.workspace, 'orchestrate.db'));
  const registry = new SessionRegistry(store);
  const handles: SessionHandle[] = [];
  for (let i = 0; i < (opts.count ?? 1); i++) {
    const sessionId = `${newSessionId()}_${i}`;
    const handle = await startSession({ sessionId, task: `bench ${i}`, target: dirs.target, workspace: dirs.workspace, config, tier }, { store, logLevel: 'info', cliEntry: CLI });
    if ('kind' in handle) throw new Error(`bench: session did not start: ${handle.message}`);
    registry.attach(handle);
    handles.push(handle);
  }
  const started = opts.server ? await startServer({ registry, host: '127.0.0.1', port: 0 }) : undefined;
  if (started && 'kind' in started) throw new Error(`bench: ${started.message}`);
  const server = started;
  return {
    store,
    handles,
    server,
    close: async () => {
      await server?.close();
      for (const h of handles) h.close();
      store.close();
    },
  };
}
