import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/fake-agents.js';
import { CLI, runCli } from '../helpers/session-fixture.js';

describe('orchestrate mock-provider', () => {

  it('serves a YAML script on 127.0.0.1, prints how to point each CLI at it, logs requests, and stops on SIGTERM', async () => {
    const dir = tempDir('mock-cli-');
    const script = join(dir, 'script.yaml');
    const log = join(dir, 'requests.jsonl');
    writeFileSync(script, 'rules:\n  - respond: { text: "hello from the script" }\n');
    const child = spawn(process.execPath, [CLI, 'mock-provider', '--script', script, '--port', '0', '--log', log], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 100 && !/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    expect(url).not.toBe('');
    expect(out).toContain(`ANTHROPIC_BASE_URL=${url}`);
    expect(out).toContain(`model_providers.mock.base_url="${url}/v1"`);
    expect(out).toContain(`GOOGLE_GEMINI_BASE_URL=${url}`);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    const r = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: false, max_tokens: 10, messages: [{ role: 'user', content: '[orchestrate role=implementer mode=work kind=implement task=t1] hi' }] }),
    });
    expect(r.status).toBe(200);
    expect(JSON.stringify(await r.json())).toContain('hello from the script');
    expect((await fetch(`${url}/v2/unknown`, { method: 'POST', body: '{}' })).status).toBe(404);
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
  });

  it('a bad script is refused with the file and the field, exit 2', async () => {
    const dir = tempDir('mock-cli-');
    const script = join(dir, 'bad.json');
    writeFileSync(script, JSON.stringify({ rules: [{ respond: { actions: [{ shel: 'ls' }] } }] }));
    const r = await runCli(['mock-provider', '--script', script], { PATH: process.env.PATH });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: rules\.0\.respond\.actions\.0/);
    const missing = await runCli(['mock-provider', '--script', join(dir, 'nope.yaml')], { PATH: process.env.PATH });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');
  });
});
