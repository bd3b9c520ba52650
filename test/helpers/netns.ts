import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './session-fixture.js';

const ip = (...args: string[]): { ok: boolean; error: string } => {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, error: (r.stderr || r.error?.message || `exit ${String(r.status)}`).trim() };
};

/**
 * Why network namespaces cannot be used here (not root, no `ip`, no permission), or undefined
 * when they can: a throw-away namespace is made and removed to find out.
 */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  const probe = `orch-probe-${process.pid}`;
  const made = ip('netns', 'add', probe);
  if (!made.ok) return `ip netns add failed: ${made.error}`;
  ip('netns', 'del', probe);
  return undefined;
}

/**
 * Two network namespaces of this test, `<tag>-db` and `<tag>-w`, joined by one veth pair with
 * the private addresses 10.231.0.1/30 (db side) and 10.231.0.2/30 (worker side). The pair is
 * created inside the namespaces, and they exist only there: nothing outside them (the host's
 * own interfaces and routes) is touched, and no address outside them is ever the target.
 * `cut` takes the db end down — the worker's side keeps its address and route and its packets
 * are silently lost, as in a partition; `heal` brings it back.
 */
export class NetnsLink {
  static readonly DB_ADDRESS = '10.231.0.1';
  static readonly WORKER_ADDRESS = '10.231.0.2';
  static readonly SUBNET = '10.231.0.0/30';
  readonly db: string;
  readonly worker: string;

  private constructor(tag: string) {
    this.db = `${tag}-db`;
    this.worker = `${tag}-w`;
  }

  /** Creates both namespaces and the link; removes whatever it made if a step fails. */
  static create(tag = `orch-${process.pid}`): NetnsLink {
    const link = new NetnsLink(tag);
    const steps: string[][] = [
      ['netns', 'add', link.db],
      ['netns', 'add', link.worker],
      ['-n', link.worker, 'link', 'add', 'vw', 'type', 'veth', 'peer', 'name', 'vd', 'netns', link.db],
      ['-n', link.db, 'addr', 'add', `${NetnsLink.DB_ADDRESS}/30`, 'dev', 'vd'],
      ['-n', link.worker, 'addr', 'add', `${NetnsLink.WORKER_ADDRESS}/30`, 'dev', 'vw'],
      ['-n', link.db, 'link', 'set', 'lo', 'up'],
      ['-n', link.worker, 'link', 'set', 'lo', 'up'],
      ['-n', link.db, 'link', 'set', 'vd', 'up'],
      ['-n', link.worker, 'link', 'set', 'vw', 'up'],
    ];
    for (const step of steps) {
      const r = ip(...step);
      if (!r.ok) {
        link.destroy();
        throw new Error(`ip ${step.join(' ')}: ${r.error}`);
      }
    }
    return link;
  }

  cut(): void {
    const r = ip('-n', this.db, 'link', 'set', 'vd', 'down');
    if (!r.ok) throw new Error(`could not cut the link: ${r.error}`);
  }

  heal(): void {
    const r = ip('-n', this.db, 'link', 'set', 'vd', 'up');
    if (!r.ok) throw new Error(`could not heal the link: ${r.error}`);
  }

  /** Deleting a namespace deletes the veth end in it, and so the pair. Safe to call twice. */
  destroy(): void {
    ip('netns', 'del', this.worker);
    ip('netns', 'del', this.db);
  }

  /** The built CLI as a process inside the worker's namespace (the same pid: `ip netns exec` execs). */
  startInWorkerNs(args: string[], env: NodeJS.ProcessEnv) {
    const child = spawn('ip', ['netns', 'exec', this.worker, process.execPath, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
    );
    return { child, done };
  }
}
