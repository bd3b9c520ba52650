import { describe, expect, it } from 'vitest';
import { redact } from '../../src/inspect/redact.js';

const EVENT = {
  type: 'worker.event',
  workerId: 'implementer',
  event: {
    type: 'progress',
    agent: 'claude',
    attempt: 1,
    payload: { kind: 'tool.call', tool: 'Write', file: 'src/a.ts', text: 'Writing the file', input: { file_path: 'src/a.ts', content: 'export const secretSauce = 1;\n' } },
  },
  input: { prompt: 'You are the implementer...', templates: { claude: { env: { ANTHROPIC_API_KEY: 'sk-live-1' }, args: ['--verbose', `--prompt=${'x'.repeat(500)}`] } } },
  apiToken: 'abc',
};

describe('redaction of inspection records', () => {
  it('by default replaces prompts, messages and file contents by their size, and secrets by a marker', () => {
    const r = redact(EVENT) as typeof EVENT;
    const text = JSON.stringify(r);
    expect(text).not.toContain('secretSauce');
    expect(text).not.toContain('Writing the file');
    expect(text).not.toContain('You are the implementer');
    expect(text).not.toContain('sk-live-1');
    expect(text).not.toContain('xxxxx');
    expect(r.event.payload.text).toBe('[redacted: 16 chars]');
    expect(r.event.payload.input).toBe('[redacted object]');
    expect(r.input).toBe('[redacted object]');
    expect(r.apiToken).toBe('[secret]');
    // What says what happened stays: types, ids, tools, file names, numbers.
    expect(r).toMatchObject({ type: 'worker.event', workerId: 'implementer', event: { type: 'progress', attempt: 1, payload: { kind: 'tool.call', tool: 'Write', file: 'src/a.ts' } } });
  });

  it('in full keeps contents but never secrets', () => {
    const r = redact(EVENT, 'full') as typeof EVENT;
    expect(r.event.payload.input.content).toContain('secretSauce');
    expect(r.input.prompt).toBe('You are the implementer...');
    expect(r.input.templates.claude.env).toBe('[secret]');
    expect(r.apiToken).toBe('[secret]');
  });

  it('survives cycles and depth, and drops functions', () => {
    const a: Record<string, unknown> = { type: 'x', fn: () => 1 };
    a.self = a;
    const r = redact(a) as Record<string, unknown>;
    expect(r.fn).toBeUndefined();
    expect(JSON.stringify(r)).toContain('[…]');
  });
});
