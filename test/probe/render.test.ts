import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/probe/probe.js';
import { doctorReport, renderDoctor, renderDoctorJson } from '../../src/probe/render.js';
import { chooseTier } from '../../src/probe/tiers.js';

const probes: ProbeResult[] = [
  {
    agent: 'gemini',
    adapter: 'gemini',
    available: true,
    binary: '/usr/bin/gemini',
    version: '0.61.0',
    credentials: { present: true, source: 'GEMINI_API_KEY' },
    problems: [],
  },
  {
    agent: 'claude',
    adapter: 'claude',
    available: true,
    binary: '/usr/local/bin/claude',
    version: '2.1.197 (Claude Code)',
    credentials: { present: true, source: '/root/.claude/.credentials.json' },
    problems: [],
  },
  {
    agent: 'codex',
    adapter: 'codex',
    available: false,
    credentials: { present: false },
    reason: 'not on PATH',
    problems: ['codex is not on PATH: npm i -g @openai/codex', 'codex has no credentials: set OPENAI_API_KEY'],
  },
];
const tier = chooseTier({ architect: 'gemini', implementer: 'claude', reviewer: 'codex' }, probes);

describe('renderDoctor', () => {
  it('prints an aligned table, the tier, the roles and the advice', () => {
    expect(renderDoctor(probes, tier)).toBe(
      [
        'agent   adapter  binary                 version                credentials                      status',
        'gemini  gemini   /usr/bin/gemini        0.61.0                 GEMINI_API_KEY                   ok',
        'claude  claude   /usr/local/bin/claude  2.1.197 (Claude Code)  /root/.claude/.credentials.json  ok',
        'codex   codex    -                      -                      missing                          unavailable: not on PATH',
        '',
        'tier 2: codex unavailable (not on PATH); reviews by gemini',
        'roles: architect=gemini implementer=claude reviewer=gemini',
        '',
        '- codex is not on PATH: npm i -g @openai/codex',
        '- codex has no credentials: set OPENAI_API_KEY',
        '',
      ].join('\n'),
    );
  });

  it('says when no tier is possible', () => {
    const none = chooseTier({ architect: 'codex', implementer: 'codex', reviewer: 'codex' }, probes);
    expect(renderDoctor([probes[2] as ProbeResult], none)).toContain('no usable tier: no agent available: codex unavailable (not on PATH)');
  });
});

describe('renderDoctorJson', () => {
  it('is the report as JSON', () => {
    const parsed = JSON.parse(renderDoctorJson(probes, tier)) as unknown;
    expect(parsed).toEqual(doctorReport(probes, tier));
    expect(doctorReport(probes, tier)).toMatchObject({ tier: { ok: true, tier: 2 }, problems: probes[2]?.problems });
  });
});
