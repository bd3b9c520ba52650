import { describe, expect, it } from 'vitest';
import { AGENT_EVENT_TYPES, AgentEvent, AgentEventDraft, AgentEventInput, Usage } from '../../src/protocol/index.js';

const base = {
  type: 'progress',
  agent: 'gemini',
  timestamp: '2025-11-21T18:00:00Z',
  payload: { text: 'Analyzing codebase structure...', progress: 45, file: '/path/to/file.py' },
  sessionId: 'orch_1',
  workerId: 'architect',
  attempt: 1,
  seq: 1,
} as const;

describe('AgentEvent', () => {
  it('accepts the seed example and round-trips through JSON unchanged', () => {
    const parsed = AgentEvent.parse(base);
    expect(AgentEvent.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });

  it.each(AGENT_EVENT_TYPES)('accepts type %s', (type) => {
    expect(AgentEvent.parse({ ...base, type }).type).toBe(type);
  });

  it('keeps usage and unknown payload keys', () => {
    const e = AgentEvent.parse({
      ...base,
      payload: { ...base.payload, kind: 'tool.call', custom: { a: 1 } },
      usage: { inputTokens: 10, outputTokens: 2, cachedTokens: 0, costUsd: 0.001 },
    });
    expect(e.payload.custom).toEqual({ a: 1 });
    expect(e.usage?.costUsd).toBe(0.001);
  });

  it.each([
    ['an unknown type', { type: 'chatter' }],
    ['a missing payload text', { payload: { progress: 5 } }],
    ['progress over 100', { payload: { text: 'x', progress: 101 } }],
    ['a timestamp that is not ISO', { timestamp: 'yesterday' }],
    ['seq 0', { seq: 0 }],
    ['a fractional attempt', { attempt: 1.5 }],
    ['an agent name with spaces', { agent: 'my agent' }],
    ['an unknown top-level key', { extra: true }],
  ])('rejects %s with a message naming the field', (_label, patch) => {
    const result = AgentEvent.safeParse({ ...base, ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBeTruthy();
  });

  it('separates drafts (translator output) from stamped and logged events', () => {
    const draft = AgentEventDraft.parse({ type: 'status', payload: { text: 'hi' } });
    expect(AgentEventInput.safeParse(draft).success).toBe(false);
    const input = AgentEventInput.parse({ ...draft, agent: 'claude', timestamp: base.timestamp, sessionId: 's', workerId: 'w', attempt: 1 });
    expect(AgentEvent.safeParse(input).success).toBe(false);
    expect(AgentEvent.parse({ ...input, seq: 7 }).seq).toBe(7);
  });

  it('rejects negative token counts', () => {
    expect(Usage.safeParse({ inputTokens: -1, outputTokens: 0, cachedTokens: 0 }).success).toBe(false);
  });
});
