import { describe, expect, it } from 'vitest';
import type { AgentEventInput } from '../../src/protocol/index.js';
import { describeAgentEvent, describeState } from '../../src/runtime/narrate.js';

const event = (type: string, payload: Record<string, unknown>): AgentEventInput =>
  ({ sessionId: 's', workerId: 'implementer', agent: 'claude', attempt: 1, type, timestamp: '2026-11-25T00:00:00.000Z', payload: { text: '', ...payload } }) as AgentEventInput;

describe('the terminal narration of agent events', () => {
  it('is the first line of what a person watching cares about, at most 160 characters', () => {
    expect(describeAgentEvent(event('progress', { kind: 'tool.call', text: 'Bash: ls\nsecond line' }))).toBe('implementer(claude) progress/tool.call: Bash: ls');
    expect(describeAgentEvent(event('progress', { kind: 'tool.call', text: 'Write: ' + 'x'.repeat(500) }))).toBe(`implementer(claude) progress/tool.call: Write: ${'x'.repeat(153)}`);
    expect(describeAgentEvent(event('blocker', { text: '\nafter an empty first line' }))).toBe('implementer(claude) blocker: ');
    expect(describeAgentEvent(event('milestone', { text: 'greet.js written' }))).toBe('implementer(claude) milestone: greet.js written');
  });

  it('leaves out the rest (streamed text, usage)', () => {
    expect(describeAgentEvent(event('status', { kind: 'agent.message.delta', text: 'hel' }))).toBeUndefined();
  });

  it('names nested states by their path', () => {
    expect(describeState({ implementing: 'working' })).toBe('implementing.working');
    expect(describeState('paused')).toBe('paused');
  });
});
