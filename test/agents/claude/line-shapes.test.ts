import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../../../src/agents/claude/adapter.js';
import { initialState, translate } from '../../../src/agents/claude/translate.js';
import type { AgentEventDraft } from '../../../src/protocol/index.js';
import { loadTranscript, translateTranscript } from '../../helpers/transcripts.js';

const run = (scenario: string): AgentEventDraft[] => translateTranscript(claudeAdapter, loadTranscript('claude', scenario));

/** Lines that differ from the recorded ones in shape: a later CLI's, or one cut short. */
describe('claude translator: line shapes', () => {
  it('lines with fields this version does not know translate as before', () => {
    const t = loadTranscript('claude', 'tool');
    // Every object of every line gets a field from a later CLI.
    const grow = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(grow) : typeof v === 'object' && v !== null ? { ...Object.fromEntries(Object.entries(v).map(([k, x]) => [k, grow(x)])), future_field: { n: 1 } } : v;
    const grown = { ...t, stdout: t.stdout.split('\n').map((l) => (l.trim() ? JSON.stringify(grow(JSON.parse(l))) : l)).join('\n') };
    expect(translateTranscript(claudeAdapter, grown)).toEqual(run('tool'));
  });

  it('a partial-message line cut short is still reported, not passed over as one', () => {
    const line = loadTranscript('claude', 'tool-partial').stdout.split('\n').find((l) => l.startsWith('{"type":"stream_event",')) ?? '';
    expect(line).not.toBe('');
    expect(translate(line, initialState()).events).toEqual([]);
    const cut = translate(line.slice(0, -2), initialState()).events;
    expect(cut.map((e) => e.payload.kind)).toEqual(['stream.unparseable']);
  });
});
