import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** initdb and pg_ctl from PATH or Debian's /usr/lib/postgresql/<version>/bin, if installed. */
export function pgBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && existsSync(join(onPath, '..', 'initdb'))) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
}

export const PG_SKIP_REASON = 'PostgreSQL tests skipped: no initdb/pg_ctl on PATH or in /usr/lib/postgresql (CI installs Debian\'s postgresql)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Where the server runs: by default on 127.0.0.1 of this network namespace. With `netns`, it
 * runs inside that namespace, listening on `listen` only (an address that exists only there)
 * and taking connections from `allow` (a CIDR); processes outside reach it by its Unix socket.
 */
export interface PgPlace {
  netns: string;
  listen: string;
  allow: string;
}

/**
 * A throw-away PostgreSQL cluster on 127.0.0.1 (a free port, its socket in its own folder).
 * initdb refuses root, so as root the cluster is made and run by the `postgres` user that
 * Debian's package creates.
 */
export class PgCluster {
  private dbCount = 0;

  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly asUser: string | undefined,
    private readonly place: PgPlace | undefined,
  ) {}

  static async create(place?: PgPlace): Promise<PgCluster> {
    const bin = pgBin();
    if (!bin) throw new Error(PG_SKIP_REASON);
    const root = userInfo().uid === 0;
    const dir = mkdtempSync(join(tmpdir(), 'orch-pg-'));
    const asUser = root ? 'postgres' : undefined;
    if (asUser) {
      const id = execFileSync('id', ['-u', asUser], { encoding: 'utf8' }).trim();
      const gid = execFileSync('id', ['-g', asUser], { encoding: 'utf8' }).trim();
      chownSync(dir, Number(id), Number(gid));
    }
    const cluster = new PgCluster(bin, dir, await freePort(), asUser, place);
    cluster.run('initdb', ['-D', join(dir, 'data'), '-U', 'orchestrate', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    if (place) appendFileSync(join(dir, 'data', 'pg_hba.conf'), `host all all ${place.allow} trust\n`);
    cluster.start();
    return cluster;
  }

  private run(tool: string, args: string[], inPlace = false): void {
    const exe = join(this.bin, tool);
    let [cmd, argv] = this.asUser ? ['runuser', ['-u', this.asUser, '--', exe, ...args]] : [exe, args];
    // The server inherits the namespace of the pg_ctl that starts it; stopping it needs none
    // (it is signalled by pid), so a namespace already gone cannot leave a server running.
    if (this.place && inPlace) [cmd, argv] = ['ip', ['netns', 'exec', this.place.netns, cmd, ...argv]];
    const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: this.dir, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr || r.stdout || String(r.error)}`);
  }

  start(): void {
    const opts = `-k ${this.dir} -h ${this.place?.listen ?? '127.0.0.1'} -p ${this.port} -c max_connections=200 -c shared_buffers=16MB`;
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-o', opts, '-l', join(this.dir, 'log'), '-w', '-t', '60', 'start'], true);
  }

  /** `immediate` is a crash: no checkpoint, recovery from the WAL at the next start. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  /** The pg_ctl command line for a stop issued from another process (while this one is blocked). */
  stopCommand(mode: 'fast' | 'immediate'): [string, string[]] {
    const exe = join(this.bin, 'pg_ctl');
    const args = ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop'];
    return this.asUser ? ['runuser', ['-u', this.asUser, '--', exe, ...args]] : [exe, args];
  }

  /** The URL for clients of this test's namespace: TCP on 127.0.0.1, or the Unix socket when the server runs in a namespace of its own. */
  url(db = 'postgres'): string {
    if (this.place) return `postgres://orchestrate@localhost:${this.port}/${db}?host=${encodeURIComponent(this.dir)}`;
    return `postgres://orchestrate@127.0.0.1:${this.port}/${db}`;
  }

  /** The URL over the network: for clients in a namespace linked to the server's. */
  tcpUrl(db = 'postgres'): string {
    return `postgres://orchestrate@${this.place?.listen ?? '127.0.0.1'}:${this.port}/${db}`;
  }

  /** A fresh, empty database on this cluster; its URL. */
  async createDb(): Promise<string> {
    return this.url(await this.createDbNamed());
  }

  /** A fresh, empty database on this cluster; its name. */
  async createDbNamed(): Promise<string> {
    const name = `t${process.pid}_${++this.dbCount}`;
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return name;
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
