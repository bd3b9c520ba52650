import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './fake-agents.js';

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * A real terminal: a private tmux server (its own socket file) running one command in a pane of a
 * fixed size. The screen is read with capture-pane and keys are typed with send-keys.
 */
export class Tmux {
  private readonly dir = tempDir('orch-tmux-');
  /** In the test's own temp dir, not tmux's shared one: nothing is left behind there. */
  readonly socket = join(this.dir, 'sock');
  private readonly exitFile = join(this.dir, 'exit');

  /** Runs `argv` with exactly `env` (CI removed unless given) in `cwd`; the pane stays after it exits. */
  start(argv: string[], env: NodeJS.ProcessEnv, o: { cwd: string; columns?: number; rows?: number }): void {
    const script = join(this.dir, 'run.sh');
    const exports = Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `export ${k}=${quote(v ?? '')}`);
    writeFileSync(script, ['#!/bin/sh', 'unset CI', ...exports, `cd ${quote(o.cwd)}`, argv.map(quote).join(' '), `echo $? > ${quote(this.exitFile)}`, 'sleep 3600', ''].join('\n'), { mode: 0o755 });
    this.tmux('new-session', '-d', '-s', 'main', '-x', String(o.columns ?? 140), '-y', String(o.rows ?? 45), script);
  }

  screen(options: { ansi?: boolean } = {}): string {
    return this.tmux('capture-pane', '-p', ...(options.ansi ? ['-e'] : []), '-t', 'main');
  }

  keys(...keys: string[]): void {
    for (const k of keys) this.tmux('send-keys', '-t', 'main', '-l', k);
  }

  /** Waits until the screen satisfies `check`; fails with the last screen. */
  async waitFor(check: (screen: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      last = this.screen();
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the screen never matched in ${timeoutMs} ms:\n${last}`);
  }

  /** The command's exit code once it ended. */
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (existsSync(this.exitFile)) {
        const text = readFileSync(this.exitFile, 'utf8').trim();
        if (text) return Number(text);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the command did not exit in ${timeoutMs} ms:\n${this.screen()}`);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Already gone: nothing to clean up.
    }
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }
}
