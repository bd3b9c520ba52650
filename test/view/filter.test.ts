import { describe, expect, it } from 'vitest';
import { describeFilter, isEmptyFilter, matchesFilter, parseFilter, type LogLine } from '../../src/view/index.js';

const line = (o: Partial<LogLine>): LogLine => ({ seq: 1, at: '', workerId: 'implementer', agent: 'claude', type: 'progress', kind: 'tool.call', text: 'Bash: npm test', ...o });

describe('log filter', () => {
  it('parses agent, type and words', () => {
    expect(parseFilter(' agent:Claude t:error  npm ')).toEqual({ agent: 'claude', type: 'error', words: ['npm'] });
    expect(isEmptyFilter(parseFilter('  '))).toBe(true);
    expect(describeFilter(parseFilter('a:codex type:review x'))).toBe('agent:codex type:review x');
  });

  it('matches by agent or worker, by type or kind, and by words', () => {
    expect(matchesFilter(line({}), parseFilter('agent:cla'))).toBe(true);
    expect(matchesFilter(line({ workerId: 'review-1/codex', agent: 'codex' }), parseFilter('a:review'))).toBe(true);
    expect(matchesFilter(line({}), parseFilter('agent:codex'))).toBe(false);
    expect(matchesFilter(line({}), parseFilter('type:tool'))).toBe(true);
    expect(matchesFilter(line({}), parseFilter('type:error'))).toBe(false);
    expect(matchesFilter(line({}), parseFilter('NPM test'))).toBe(true);
    expect(matchesFilter(line({}), parseFilter('npm lint'))).toBe(false);
  });
});
