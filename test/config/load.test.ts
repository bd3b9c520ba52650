import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigResult } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';
import { tempDir } from '../helpers/fake-agents.js';

/** A target directory holding `orchestrate.config.json` with the given content. */
function target(content: unknown): string {
  const dir = tempDir('orch-config-');
  const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
  writeFileSync(join(dir, 'orchestrate.config.json'), text);
  return dir;
}

const errorsOf = (result: ConfigResult): string[] => (result.ok ? [] : result.errors);
const configOf = (result: ConfigResult) => {
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
};
/** Errors with the file label cut off, so they can be compared exactly. */
const problems = (content: unknown): string[] => errorsOf(loadConfig({ target: target(content) })).map((e) => e.replace(/^.*?orchestrate\.config\.json: /, ''));

describe('loadConfig: defaults', () => {
  it('uses the defaults when the target has no config file', () => {
    const result = loadConfig({ target: tempDir() });
    expect(result).toEqual({ ok: true, config: defaultConfig(), source: null });
  });

  it('has the seed defaults', () => {
    const config = defaultConfig();
    expect(config.roles).toEqual({ architect: 'gemini', implementer: 'claude', reviewer: 'codex' });
    expect(config.agents).toEqual({
      gemini: { adapter: 'gemini', args: [], env: {} },
      claude: { adapter: 'claude', args: [], env: {} },
      codex: { adapter: 'codex', args: [], env: {} },
    });
    expect(config.review).toEqual({
      policy: 'four-rule',
      triggers: { milestone: true, blocker: true, request: true, manual: true, silence: true },
      silenceMinutes: 15,
      reviewerTimeoutMinutes: 10,
      diffMaxBytes: 60_000,
    });
    expect(config.limits).toEqual({ cpuPercent: 50, memoryMb: 2048, runtimeMinutes: 60, cpuWindowSeconds: 60 });
    expect(config.safety.blockedCommands).toContain('rm -rf');
    expect(config.safety).not.toHaveProperty('limits');
    expect(config.recovery).toEqual({ maxAttempts: 2 });
    expect(config.budgets).toEqual({ perAgent: {} });
  });

  it('fills defaults inside a partly written section and reports the source', () => {
    const dir = target({ review: { silenceMinutes: 5, triggers: { silence: false } }, $schema: './schema.json' });
    const result = loadConfig({ target: dir });
    const config = configOf(result);
    expect(result.ok && result.source).toBe(join(dir, 'orchestrate.config.json'));
    expect(config.review.silenceMinutes).toBe(5);
    expect(config.review.reviewerTimeoutMinutes).toBe(10);
    expect(config.review.triggers).toMatchObject({ silence: false, milestone: true });
    expect(config).not.toHaveProperty('$schema');
  });

  it('fills weighted-policy defaults', () => {
    const config = configOf(loadConfig({ target: target({ review: { policy: { kind: 'weighted', weights: { codex: 2 } } } }) }));
    expect(config.review.policy).toEqual({ kind: 'weighted', weights: { codex: 2 }, pauseAt: 2, requiredApprovers: [] });
  });
});

describe('loadConfig: agents merge', () => {
  it('adds user agents to the three defaults and lets a user override one', () => {
    const config = configOf(
      loadConfig({
        target: target({
          agents: {
            aider: { adapter: 'jsonl', command: 'aider-orchestrate', args: ['--yes'] },
            claude: { env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' } },
          },
          roles: { reviewer: 'aider' },
        }),
      }),
    );
    expect(Object.keys(config.agents).sort()).toEqual(['aider', 'claude', 'codex', 'gemini']);
    expect(config.agents.aider).toEqual({ adapter: 'jsonl', command: 'aider-orchestrate', args: ['--yes'], env: {} });
    // The adapter of an agent named after one is implied.
    expect(config.agents.claude).toEqual({ adapter: 'claude', args: [], env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' } });
    expect(config.roles.reviewer).toBe('aider');
  });
});

describe('loadConfig: cross-field errors', () => {
  it('rejects a role naming an unknown agent', () => {
    expect(problems({ roles: { implementer: 'aider' } })).toEqual([
      'roles.implementer: implementer agent "aider" is not a configured agent (agents: gemini, claude, codex)',
    ]);
  });

  it('rejects a budget for an unknown agent', () => {
    expect(problems({ budgets: { tokens: 1000, perAgent: { aider: { usd: 1 } } } })).toEqual([
      'budgets.perAgent.aider: budget for "aider" is not a configured agent (agents: gemini, claude, codex)',
    ]);
  });

  it('rejects weights and required approvers for unknown agents', () => {
    const policy = { kind: 'weighted', weights: { codex: 2, zed: 1 }, requiredApprovers: ['claude', 'aider'] };
    expect(problems({ review: { policy } })).toEqual([
      'review.policy.weights.zed: weight for "zed" is not a configured agent (agents: gemini, claude, codex)',
      'review.policy.requiredApprovers[1]: required approver "aider" is not a configured agent (agents: gemini, claude, codex)',
    ]);
  });

  it('rejects a new agent without an adapter', () => {
    expect(problems({ agents: { aider: { command: 'aider' } } })).toEqual([
      'agents.aider.adapter: agent "aider" needs an adapter (one of claude, codex, gemini, jsonl)',
    ]);
  });

  it('reports several problems at once', () => {
    expect(problems({ roles: { architect: 'x', reviewer: 'y' } })).toHaveLength(2);
  });
});

describe('loadConfig: bad values', () => {
  it('names the file, the dotted path and what was expected', () => {
    const dir = target({ review: { silenceMinutes: '15' } });
    expect(errorsOf(loadConfig({ target: dir }))).toEqual([
      `${join(dir, 'orchestrate.config.json')}: review.silenceMinutes: expected number, received string`,
    ]);
  });

  it.each([
    [{ limits: { memoryMb: 1.5 } }, 'limits.memoryMb: expected int, received number'],
    [{ budgets: { usd: 0 } }, 'budgets.usd: Too small: expected number to be >0'],
    [{ recovery: { maxAttempts: -1 } }, 'recovery.maxAttempts: Too small: expected number to be >=0'],
    [{ agents: { claude: { args: ['--x', 3] } } }, 'agents.claude.args[1]: expected string, received number'],
    [{ agents: { aider: { adapter: 'aider' } } }, 'agents.aider.adapter: expected one of "claude"|"codex"|"gemini"|"jsonl"'],
    [{ review: { triggers: { silence: 'no' } } }, 'review.triggers.silence: expected boolean, received string'],
    [{ review: { policy: 'majority' } }, 'review.policy: expected "four-rule" or {"kind": "weighted", "weights": {...}}'],
    [
      { review: { policy: { kind: 'weighted', weights: { codex: 'heavy' } } } },
      'review.policy.weights.codex: expected number, received string',
    ],
    [{ safety: { allowedRoots: 'src' } }, 'safety.allowedRoots: expected array, received string'],
    [[1, 2], '(top level): expected object, received array'],
  ])('%j', (content, message) => {
    expect(problems(content)).toEqual([message]);
  });

  it('rejects a malformed agent name and env variable name', () => {
    expect(problems({ agents: { 'My Agent': { adapter: 'jsonl' } } })[0]).toMatch(
      /^agents\["My Agent"\]: invalid name "My Agent": agent names are lowercase/,
    );
    expect(problems({ agents: { claude: { env: { 'A-B': '1' } } } })[0]).toMatch(/^agents\.claude\.env\.A-B: invalid name "A-B": environment variable names/);
  });

  it('rejects unknown keys, at any depth', () => {
    expect(problems({ reviews: {}, review: { silenceMinute: 3 } })).toEqual([
      'review.silenceMinute: unknown key',
      'reviews: unknown key',
    ]);
    expect(problems({ safety: { limits: {} } })).toEqual(['safety.limits: unknown key']);
  });
});

describe('loadConfig: files', () => {
  it('reports invalid JSON with line and column', () => {
    const [error] = problems('{\n  "roles": {\n    "architect": "gemini",\n  }\n}');
    expect(error).toMatch(/^invalid JSON: .*line 4 column 3/);
  });

  it('treats an empty file as invalid JSON', () => {
    expect(problems('')[0]).toMatch(/^invalid JSON: /);
  });

  it('fails when an explicit --config file is missing', () => {
    const dir = tempDir();
    const missing = join(dir, 'nope.json');
    expect(loadConfig({ target: dir, configPath: missing })).toEqual({ ok: false, errors: [`${missing}: file not found`] });
  });

  it('reads an explicit --config file instead of the target one', () => {
    const dir = target({ recovery: { maxAttempts: 9 } });
    const other = join(tempDir(), 'other.json');
    writeFileSync(other, JSON.stringify({ recovery: { maxAttempts: 1 } }));
    const result = loadConfig({ target: dir, configPath: other });
    expect(configOf(result).recovery.maxAttempts).toBe(1);
    expect(result.ok && result.source).toBe(other);
  });

  it('reports a config path that is a directory without throwing', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'orchestrate.config.json'));
    expect(errorsOf(loadConfig({ target: dir }))[0]).toMatch(/orchestrate\.config\.json: cannot read: /);
  });

  it('resolves relative paths against the config file directory', () => {
    const dir = tempDir();
    const file = join(dir, 'conf', 'orch.json');
    mkdirSync(join(dir, 'conf'));
    writeFileSync(
      file,
      JSON.stringify({
        agents: {
          claude: { command: 'claude', home: 'homes/claude' },
          custom: { adapter: 'jsonl', command: './bin/agent.sh', home: '/abs/home' },
        },
        safety: { allowedRoots: ['../data', '/srv/x'] },
      }),
    );
    const config = configOf(loadConfig({ target: tempDir(), configPath: file }));
    expect(config.agents.claude?.command).toBe('claude');
    expect(config.agents.claude?.home).toBe(join(dir, 'conf', 'homes', 'claude'));
    expect(config.agents.custom?.command).toBe(join(dir, 'conf', 'bin', 'agent.sh'));
    expect(config.agents.custom?.home).toBe('/abs/home');
    expect(config.safety.allowedRoots).toEqual([join(dir, 'data'), '/srv/x']);
  });
});
