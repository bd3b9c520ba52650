import { describe, expect, it } from 'vitest';
import { orchestratorToolEvent } from '../../../src/agents/common/orchestrator-tools.js';
import { describeFix, fixDirs, withFix } from '../../../src/agents/common/fixes.js';
import { todoEvent, truncate, unparseable } from '../../../src/agents/common/events.js';
import { classifyPermissionDenied, httpStatusIn } from '../../../src/agents/common/recovery.js';
import type { LaunchRequest } from '../../../src/agents/types.js';

const request: LaunchRequest = { role: 'implementer', mode: 'work', prompt: 'p', cwd: '/t', workspace: '/w', extraDirs: [] };

describe('orchestrator MCP tools → events', () => {
  it.each([
    ['mcp__orchestrate__report_milestone', 'milestone'],
    ['orchestrate__report_blocker', 'blocker'],
    ['report_progress', 'progress'],
    ['report_finding', 'finding'],
    ['mcp__orchestrate__request_review', 'review'],
  ])('%s → %s', (tool, type) => {
    expect(orchestratorToolEvent(tool, { text: 'done with auth' })?.type).toBe(type);
  });

  it("ignores other servers' tools with the same names", () => {
    expect(orchestratorToolEvent('mcp__other__report_milestone', { text: 'x' })).toBeUndefined();
    expect(orchestratorToolEvent('Bash', { command: 'ls' })).toBeUndefined();
  });

  it('keeps progress and file, marks review requests', () => {
    expect(orchestratorToolEvent('report_progress', { text: 'half', progress: 50, file: 'a.ts' })?.payload).toMatchObject({ progress: 50, file: 'a.ts' });
    expect(orchestratorToolEvent('report_progress', { text: 'x', progress: 500 })?.payload.progress).toBeUndefined();
    expect(orchestratorToolEvent('request_review', {})?.payload.reviewRequested).toBe(true);
  });
});

describe('launch fixes', () => {
  it('adds a fix once and describes it as the flag the CLI gets', () => {
    const fix = { kind: 'include-directories' as const, dirs: ['/srv/data'] };
    const once = withFix(request, fix);
    expect(withFix(once, fix)).toBe(once);
    expect(fixDirs(withFix(once, { kind: 'include-directories', dirs: ['/srv/data', '/x'] }), 'include-directories')).toEqual(['/srv/data', '/x']);
    expect(describeFix(fix)).toBe('--include-directories /srv/data');
    expect(request.fixes).toBeUndefined();
  });
});

describe('event helpers', () => {
  it('computes plan progress from todos', () => {
    const e = todoEvent([
      { text: 'a', status: 'completed' },
      { text: 'b', status: 'in_progress' },
      { text: 'c', status: 'pending' },
      { text: 'd', status: 'pending' },
    ]);
    expect(e).toMatchObject({ type: 'task', payload: { progress: 25, text: '25% · now: b' } });
  });

  it('truncates long raw text and says how much was cut', () => {
    expect(truncate('x'.repeat(10), 4)).toBe('xxxx… [6 more characters]');
    expect(unparseable('y'.repeat(10_000), 'bad').payload.raw?.length).toBeLessThan(4100);
  });

  it('finds HTTP statuses in the CLIs’ wordings', () => {
    expect(httpStatusIn('API Error: 500 Internal server error')).toBe(500);
    expect(httpStatusIn('unexpected status 401 Unauthorized: x')).toBe(401);
    expect(httpStatusIn('[API Error: {"error":{"code":429,"message":"x"}}]')).toBe(429);
    expect(httpStatusIn('all fine')).toBeUndefined();
  });

  it('escalates a plain permission error with suggestions naming the directories', () => {
    const c = classifyPermissionDenied({
      request,
      events: [{ type: 'error', payload: { kind: 'tool.failed', text: 'Exit code 126\n/bin/bash: line 1: ./noexec.sh: Permission denied' } }],
      stderr: '',
    });
    expect(c).toMatchObject({ kind: 'permission_denied', evidence: '/bin/bash: line 1: ./noexec.sh: Permission denied', remedy: { action: 'escalate' } });
    expect(c?.remedy.action === 'escalate' && c.remedy.suggestions.join('\n')).toMatch(/ls -la \/t \/w/);
  });
});
