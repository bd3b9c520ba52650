import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/schema.js';
import { codexConfigArgs, findCredentials, probeAgent, probeAgents } from '../../src/probe/probe.js';
import { isAlive, tempDir } from '../helpers/fake-agents.js';

const agent = (adapter: AgentConfig['adapter'], extra: Partial<AgentConfig> = {}): AgentConfig => ({ adapter, args: [], env: {}, ...extra });

/** A bin dir with fake CLIs; PATH is only this dir, so real installs never leak in. */
function fakeBin(scripts: Record<string, string>): string {
  const dir = tempDir('orch-probe-bin-');
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

function writeFile(path: string, content = '{}'): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

describe('probeAgent: binary and version', () => {
  it('finds the binary on PATH and captures its version', async () => {
    const bin = fakeBin({ claude: 'echo "2.1.197 (Claude Code)"' });
    const probe = await probeAgent('claude', agent('claude'), { PATH: bin, HOME: tempDir(), ANTHROPIC_API_KEY: 'k' });
    expect(probe).toEqual({
      agent: 'claude',
      adapter: 'claude',
      available: true,
      binary: join(bin, 'claude'),
      version: '2.1.197 (Claude Code)',
      credentials: { present: true, source: 'ANTHROPIC_API_KEY' },
      problems: [],
    });
  });

  it('advises how to install a CLI that is not on PATH', async () => {
    const probe = await probeAgent('codex', agent('codex'), { PATH: tempDir(), HOME: tempDir(), OPENAI_API_KEY: 'k' });
    expect(probe.available).toBe(false);
    expect(probe.binary).toBeUndefined();
    expect(probe.reason).toBe('not on PATH');
    expect(probe.problems).toEqual(['codex is not on PATH: npm i -g @openai/codex']);
  });

  it('names the binary when the agent is called differently', async () => {
    const probe = await probeAgent('fast', agent('gemini'), { PATH: tempDir(), GEMINI_API_KEY: 'k' });
    expect(probe.problems).toEqual(['fast (gemini) is not on PATH: npm i -g @google/gemini-cli']);
  });

  it('checks an explicit path instead of PATH', async () => {
    const bin = fakeBin({ 'my-claude': 'echo 9.9.9' });
    const ok = await probeAgent('claude', agent('claude', { command: join(bin, 'my-claude') }), { PATH: '', ANTHROPIC_API_KEY: 'k' });
    expect(ok).toMatchObject({ available: true, binary: join(bin, 'my-claude'), version: '9.9.9' });

    const plain = join(bin, 'not-executable');
    writeFileSync(plain, 'echo hi');
    const bad = await probeAgent('claude', agent('claude', { command: plain }), { PATH: bin, ANTHROPIC_API_KEY: 'k' });
    expect(bad.reason).toBe('not executable');
    expect(bad.problems).toEqual([`claude (${plain}): ${plain} is not an executable file: check agents.claude.command`]);
  });

  it('reports a --version that exits non-zero, with what it said', async () => {
    const bin = fakeBin({ codex: 'echo "codex: broken install" >&2; exit 1' });
    const probe = await probeAgent('codex', agent('codex'), { PATH: bin, OPENAI_API_KEY: 'k' });
    expect(probe.available).toBe(false);
    expect(probe.reason).toBe('--version failed');
    expect(probe.problems).toEqual([
      `codex: \`${join(bin, 'codex')} --version\` failed (exit 1): codex: broken install: reinstall with npm i -g @openai/codex`,
    ]);
  });

  it('kills a hanging --version, children included, after the timeout', async () => {
    const bin = fakeBin({ gemini: '/bin/sleep 30 &\necho $! > "$0.child"\nwait' });
    const started = Date.now();
    const probe = await probeAgent('gemini', agent('gemini'), { PATH: bin, GEMINI_API_KEY: 'k' }, { versionTimeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(probe.reason).toBe('--version timed out');
    expect(probe.problems[0]).toMatch(/--version` did not answer within 0\.3 s: reinstall with npm i -g @google\/gemini-cli$/);
    const child = Number(readFileSync(join(bin, 'gemini.child'), 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(child)).toBe(false);
  });

  it('runs --version with the agent env', async () => {
    const bin = fakeBin({ claude: 'echo "v-$FAKE_VERSION"' });
    const probe = await probeAgent('claude', agent('claude', { env: { FAKE_VERSION: '7' } }), { PATH: bin, ANTHROPIC_API_KEY: 'k' });
    expect(probe.version).toBe('v-7');
  });

  it('does not require --version or credentials from a jsonl agent', async () => {
    const bin = fakeBin({ 'my-agent': 'exit 2' });
    const probe = await probeAgent('mine', agent('jsonl', { command: 'my-agent' }), { PATH: bin });
    expect(probe.available).toBe(true);
    expect(probe.credentials).toEqual({ present: true, source: 'not needed' });
    expect(probe.problems).toEqual([`mine (my-agent): \`${join(bin, 'my-agent')} --version\` failed (exit 2) (not required for jsonl agents)`]);
  });

  it('reports a missing jsonl agent with config advice', async () => {
    const probe = await probeAgent('mine', agent('jsonl', { command: 'my-agent' }), { PATH: tempDir() });
    expect(probe.problems).toEqual(['mine (my-agent) is not on PATH: install it or set its path in agents.mine.command']);
  });

  it('probes every configured agent', async () => {
    const bin = fakeBin({ claude: 'echo 1', codex: 'echo 2', gemini: 'echo 3' });
    const agents = { gemini: agent('gemini'), claude: agent('claude'), codex: agent('codex') };
    const probes = await probeAgents({ agents }, { PATH: bin, HOME: tempDir(), OPENAI_API_KEY: 'k' });
    expect(probes.map((p) => [p.agent, p.available, p.version])).toEqual([
      ['gemini', false, '3'],
      ['claude', false, '1'],
      ['codex', true, '2'],
    ]);
    expect(probes[0]?.problems).toEqual([
      'gemini has no credentials: set GEMINI_API_KEY (or GOOGLE_API_KEY / GOOGLE_GENAI_USE_VERTEXAI=true) or run `gemini` once and sign in',
    ]);
    expect(probes[1]?.reason).toBe('no credentials');
  });
});

describe('findCredentials', () => {
  const linux = 'linux' as const;

  it.each([
    ['claude', 'ANTHROPIC_AUTH_TOKEN'],
    ['claude', 'CLAUDE_CODE_OAUTH_TOKEN'],
    ['codex', 'OPENAI_API_KEY'],
    ['codex', 'CODEX_API_KEY'],
    ['gemini', 'GEMINI_API_KEY'],
    ['gemini', 'GOOGLE_API_KEY'],
  ] as const)('%s from %s', (adapter, name) => {
    expect(findCredentials(agent(adapter), { HOME: tempDir(), [name]: 'x' }, linux)).toEqual({ present: true, source: name });
  });

  it('ignores empty variables and reports nothing found', () => {
    const env = { HOME: tempDir(), ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', GEMINI_API_KEY: '' };
    for (const adapter of ['claude', 'codex', 'gemini'] as const) expect(findCredentials(agent(adapter), env, linux)).toEqual({ present: false });
  });

  it('accepts Gemini Vertex AI / Code Assist switches only when true', () => {
    const home = tempDir();
    expect(findCredentials(agent('gemini'), { HOME: home, GOOGLE_GENAI_USE_VERTEXAI: 'true' }, linux).source).toBe('GOOGLE_GENAI_USE_VERTEXAI');
    expect(findCredentials(agent('gemini'), { HOME: home, GOOGLE_GENAI_USE_GCA: 'true' }, linux).source).toBe('GOOGLE_GENAI_USE_GCA');
    expect(findCredentials(agent('gemini'), { HOME: home, GOOGLE_GENAI_USE_VERTEXAI: 'false' }, linux).present).toBe(false);
  });

  it('finds login files in HOME', () => {
    const home = tempDir();
    writeFile(join(home, '.claude', '.credentials.json'));
    writeFile(join(home, '.codex', 'auth.json'));
    writeFile(join(home, '.gemini', 'oauth_creds.json'));
    expect(findCredentials(agent('claude'), { HOME: home }, linux)).toEqual({ present: true, source: join(home, '.claude', '.credentials.json') });
    expect(findCredentials(agent('codex'), { HOME: home }, linux)).toEqual({ present: true, source: join(home, '.codex', 'auth.json') });
    expect(findCredentials(agent('gemini'), { HOME: home }, linux)).toEqual({ present: true, source: join(home, '.gemini', 'oauth_creds.json') });
  });

  it('uses the agent home instead of HOME', () => {
    const home = tempDir();
    const agentHome = tempDir();
    writeFile(join(home, '.claude', '.credentials.json'));
    writeFile(join(agentHome, '.codex', 'auth.json'));
    writeFile(join(agentHome, '.gemini', 'oauth_creds.json'));
    expect(findCredentials(agent('claude', { home: agentHome }), { HOME: home }, linux)).toEqual({ present: false });
    expect(findCredentials(agent('codex', { home: agentHome }), { HOME: home, CODEX_HOME: home }, linux).source).toBe(
      join(agentHome, '.codex', 'auth.json'),
    );
    expect(findCredentials(agent('gemini', { home: agentHome }), { HOME: home }, linux).source).toBe(join(agentHome, '.gemini', 'oauth_creds.json'));
  });

  it('follows CODEX_HOME, CLAUDE_CONFIG_DIR and GEMINI_CLI_HOME', () => {
    const dir = tempDir();
    writeFile(join(dir, 'codex', 'auth.json'));
    writeFile(join(dir, 'claude', '.credentials.json'));
    writeFile(join(dir, 'g', '.gemini', 'oauth_creds.json'));
    const env = { HOME: tempDir(), CODEX_HOME: join(dir, 'codex'), CLAUDE_CONFIG_DIR: join(dir, 'claude'), GEMINI_CLI_HOME: join(dir, 'g') };
    expect(findCredentials(agent('codex'), env, linux).present).toBe(true);
    expect(findCredentials(agent('claude'), env, linux).present).toBe(true);
    expect(findCredentials(agent('gemini'), env, linux).present).toBe(true);
  });

  it('assumes a macOS Claude login lives in the Keychain', () => {
    expect(findCredentials(agent('claude'), { HOME: tempDir() }, 'darwin')).toEqual({ present: true, source: 'macOS Keychain (not checked)' });
  });

  describe('Codex model providers in -c args', () => {
    const provider = ['-c', 'model_provider="mock"', '-c', 'model_providers.mock.env_key="MOCK_API_KEY"'];

    it('parses -c, -cKEY=V, --config and --config=', () => {
      const pairs = codexConfigArgs(['-c', 'a="x"', '-cb=2', '--config', "c='y'", '--config=d.e=z=1', '-c', 'novalue', 'e=f']);
      expect([...pairs]).toEqual([
        ['a', 'x'],
        ['b', '2'],
        ['c', 'y'],
        ['d.e', 'z=1'],
      ]);
    });

    it('needs exactly the env_key variable of the selected provider', () => {
      const home = tempDir();
      expect(findCredentials(agent('codex', { args: provider }), { HOME: home, MOCK_API_KEY: 'k' }, linux)).toEqual({
        present: true,
        source: 'MOCK_API_KEY (model provider mock)',
      });
      expect(findCredentials(agent('codex', { args: provider }), { HOME: home, OPENAI_API_KEY: 'k' }, linux).present).toBe(false);
    });

    it('counts the key from the agent env in a probe', async () => {
      const bin = fakeBin({ codex: 'echo codex-cli 0.169.0' });
      const probe = await probeAgent('codex', agent('codex', { args: provider, env: { MOCK_API_KEY: 'k' } }), { PATH: bin, HOME: tempDir() });
      expect(probe).toMatchObject({ available: true, version: 'codex-cli 0.169.0', credentials: { source: 'MOCK_API_KEY (model provider mock)' } });
    });

    it('cannot check a selected provider without env_key and says so', () => {
      const args = ['-c', 'model_provider=ollama'];
      expect(findCredentials(agent('codex', { args }), { HOME: tempDir() }, linux)).toEqual({
        present: true,
        source: 'model provider ollama (not checked)',
      });
    });
  });

  it('counts the agent configured env in a probe', async () => {
    const bin = fakeBin({ gemini: 'echo 0.61.0' });
    const probe = await probeAgent('gemini', agent('gemini', { env: { GEMINI_API_KEY: 'k' } }), { PATH: bin, HOME: tempDir() });
    expect(probe.credentials).toEqual({ present: true, source: 'GEMINI_API_KEY' });
    expect(probe.available).toBe(true);
  });
});
