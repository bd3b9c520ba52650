import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runGuard } from '../../src/cli/guard.js';
import { answerFile, writeJsonAtomic } from '../../src/safety/confirmations.js';
import { tempDir } from '../helpers/fake-agents.js';

function hookInput(root: string, command: string, cli: 'claude' | 'gemini'): string {
  if (cli === 'gemini') {
    return JSON.stringify({ session_id: 's', transcript_path: '/t', cwd: root, hook_event_name: 'BeforeTool', timestamp: new Date().toISOString(), tool_name: 'run_shell_command', tool_input: { command } });
  }
  return JSON.stringify({ session_id: 's', transcript_path: '/t', cwd: root, permission_mode: 'bypassPermissions', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, tool_use_id: 'toolu_1' });
}

async function guard(root: string, dir: string, command: string, answer: ((id: string) => void) | undefined, cli: 'claude' | 'gemini' = 'claude', timeout = 5) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const running = runGuard({ allowRoot: [root], confirmDir: dir, confirmTimeout: timeout }, { stdin: Readable.from([hookInput(root, command, cli)]), stdout, stderr, cwd: root });
  if (answer) {
    for (let i = 0; i < 100; i++) {
      const request = readdirSync(dir, { withFileTypes: true }).find((f) => f.name.endsWith('.request.json'));
      if (request) {
        answer(request.name.replace('.request.json', ''));
        break;
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }
  return { code: await running, out, err };
}

describe('orchestrate guard --confirm-dir: commands that need confirmation wait for the user', () => {
  const setup = () => {
    const root = tempDir('guard-confirm-');
    const dir = join(root, '.session', 'confirmations');
    mkdirSync(dir, { recursive: true });
    return { root, dir };
  };

  it("approved: the tool runs (exit 0, no decision), and the request says what and why", async () => {
    const { root, dir } = setup();
    let seen: Record<string, unknown> = {};
    const r = await guard(root, dir, 'git push origin main', (id) => {
      seen = JSON.parse(readFileSync(join(dir, `${id}.request.json`), 'utf8')) as Record<string, unknown>;
      writeJsonAtomic(answerFile(dir, id), { id, approve: true, by: 'user', at: new Date().toISOString() });
    });
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toContain('confirmed by the user');
    expect(seen).toMatchObject({ tool: 'Bash', subject: 'git push origin main', cli: 'claude', cwd: root });
    expect(String(seen.reason)).toMatch(/git push/);
  });

  it('rejected: denied with the reason (Claude: exit 2; Gemini the same)', async () => {
    for (const cli of ['claude', 'gemini'] as const) {
      const { root, dir } = setup();
      const r = await guard(root, dir, 'npm publish', (id) => writeJsonAtomic(answerFile(dir, id), { id, approve: false, reason: 'not today', by: 'user', at: new Date().toISOString() }), cli);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/denied .*not confirmed: not today/);
    }
  });

  it('no answer in time: denied, never allowed', async () => {
    const { root, dir } = setup();
    const r = await guard(root, dir, 'git push', undefined, 'claude', 1);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no answer within 1 s');
  });

  it('blocked commands are denied at once, without asking', async () => {
    const { root, dir } = setup();
    const r = await guard(root, dir, 'rm -rf /', undefined);
    expect(r.code).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });
});
