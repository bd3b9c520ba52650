import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { probeAgents } from '../../src/probe/probe.js';
import { chooseTier } from '../../src/probe/tiers.js';
import { startSession, type SessionHandle } from '../../src/runtime/run-session.js';
import { newSessionId } from '../../src/runtime/workspace.js';
import { startServer, type RunningServer } from '../../src/server/listen.js';
import { SessionRegistry } from '../../src/server/registry.js';
import type { FlowLimits } from '../../src/server/stream.js';
import { CLI, sessionFixture, type Fixture, type Rule } from '../helpers/session-fixture.js';

export interface Live {
  fixture: Fixture;
  store: SqliteStore;
  handle: SessionHandle;
  registry: SessionRegistry;
  server: RunningServer;
  /** `http://127.0.0.1:<port>` */
  base: string;
  auth: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A session on the fake agents driven in this process (the fakes inherit process.env, so the
 * fixture's PATH and script go there; vitest runs each file in its own process), with a real
 * server on an ephemeral port over it.
 */
export async function liveSession(rules: Rule[], o: { limits?: Partial<FlowLimits>; onStreamDrop?: (reason: string) => void } = {}): Promise<Live> {
  const fixture = sessionFixture(rules);
  Object.assign(process.env, fixture.env);
  mkdirSync(fixture.workspace, { recursive: true });
  const store = new SqliteStore(join(fixture.workspace, 'orchestrate.db'));
  const loaded = loadConfig({ target: fixture.target });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const tier = chooseTier(loaded.config.roles, await probeAgents(loaded.config, process.env));
  if (!tier.ok) throw new Error('no tier with the fake agents');
  const handle = await startSession(
    { sessionId: newSessionId(), task: 'Add a greeting', target: fixture.target, workspace: fixture.workspace, config: loaded.config, configSource: loaded.source, tier },
    { store, logLevel: 'warn', cliEntry: CLI },
  );
  if ('kind' in handle) throw new Error(handle.message);
  const registry = new SessionRegistry(store);
  registry.attach(handle);
  const server = await startServer({ registry, host: '127.0.0.1', port: 0, ...(o.limits ? { limits: o.limits } : {}), ...(o.onStreamDrop ? { onStreamDrop: o.onStreamDrop } : {}) });
  if ('kind' in server) throw new Error(server.message);
  return {
    fixture,
    store,
    handle,
    registry,
    server,
    base: `http://127.0.0.1:${server.port}`,
    auth: { authorization: `Bearer ${server.token}` },
    close: async () => {
      await server.close();
      handle.close();
      store.close();
    },
  };
}

/** Polls until `check` holds; the assertion after it says what did not happen. */
export async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/** Slower rules than happyRules(): each agent takes a moment per step, so a test can act mid-run. */
export function slowRules(delayMs = 150): Rule[] {
  const plan = {
    summary: 'Add a greeting module',
    tasks: [
      { id: 't1', title: 'Write greet.js', description: 'export greet()', assignee: 'implementer', dependencies: [], acceptanceCriteria: ['greet.js exists'] },
      { id: 't2', title: 'Write a test', description: 'test greet()', assignee: 'implementer', dependencies: ['t1'], acceptanceCriteria: ['greet.test.js exists'] },
    ],
  };
  const steps = (file: string) => [
    { todos: [{ text: `write ${file}`, status: 'in_progress' }] },
    { shell: 'true' },
    { shell: 'true' },
    { write: { path: file, content: `// ${file}\n` } },
    { todos: [{ text: `write ${file}`, status: 'completed' }] },
  ];
  return [
    { match: { kind: 'plan' }, respond: { delayMs, text: 'plan', structured: plan } },
    { match: { kind: 'implement', task: 't1' }, respond: { delayMs, actions: steps('greet.js'), text: 'Implemented t1.' } },
    { match: { kind: 'implement', task: 't2' }, respond: { delayMs, actions: steps('greet.test.js'), text: 'Implemented t2.' } },
    { match: { kind: ['review', 'final-review'] }, respond: { delayMs, structured: { verdict: 'approved', summary: 'Looks good.', findings: [] } } },
  ];
}

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's Chromium (never a downloaded browser), with the network-quiet flags. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/**
 * Debian's Chromium and a live fake-agent session with its dashboard server, for one describe
 * block: started in its beforeAll, closed in its afterAll.
 */
export function browserAndSession(rules: Rule[]): { readonly browser: Browser; readonly live: Live } {
  let browser: Browser | undefined;
  let live: Live | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    live = await liveSession(rules);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the browser and the session start in beforeAll');
    return value;
  };
  return {
    get browser() {
      return started(browser);
    },
    get live() {
      return started(live);
    },
  };
}
