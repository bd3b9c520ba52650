import { describe, expect, it } from 'vitest';
import { jsonlAdapter } from '../../../src/agents/jsonl/adapter.js';

const translate = (line: string) => jsonlAdapter.translate(line, null).events;

describe('jsonl adapter (custom agents printing our events)', () => {
  it('accepts the seed event format, ignoring the self-declared agent', () => {
    const [e] = translate(
      JSON.stringify({ type: 'progress', agent: 'impostor', timestamp: '2025-11-21T18:00:00Z', payload: { text: 'Analyzing', progress: 45 } }),
    );
    expect(e).toEqual({ type: 'progress', timestamp: '2025-11-21T18:00:00Z', payload: { text: 'Analyzing', progress: 45 } });
  });

  it.each([
    ['not JSON', 'hello world', /not JSON/],
    ['an unknown type', '{"type":"gossip","payload":{"text":"x"}}', /type/],
    ['a missing text', '{"type":"status","payload":{}}', /payload\.text/],
    ['a JSON array', '[1,2]', /root|expected object/],
  ])('turns %s into an error event keeping the raw line', (_label, line, reason) => {
    const [e] = translate(line);
    expect(e?.type).toBe('error');
    expect(e?.payload.kind).toBe('stream.unparseable');
    expect(e?.payload.raw).toBe(line);
    expect(e?.payload.text).toMatch(reason);
  });

  it('explains a non-zero exit and says nothing for a clean one', () => {
    expect(jsonlAdapter.finish(null, { exitCode: 0, signal: null })).toEqual([]);
    expect(jsonlAdapter.finish(null, { exitCode: 3, signal: null })[0]?.payload.text).toMatch(/exited with code 3/);
  });

  it('passes the prompt on stdin and the role in the environment', () => {
    const spec = jsonlAdapter.buildCommand({
      role: 'reviewer',
      mode: 'review',
      prompt: 'review it',
      cwd: '/t',
      workspace: '/w',
      extraDirs: [],
      command: '/opt/my-agent',
      extraArgs: ['--fast'],
      env: { MODEL: 'x' },
    });
    expect(spec).toMatchObject({ command: '/opt/my-agent', args: ['--fast'], cwd: '/t', input: 'review it' });
    expect(spec.env).toMatchObject({ ORCHESTRATE_ROLE: 'reviewer', ORCHESTRATE_MODE: 'review', MODEL: 'x' });
  });
});
