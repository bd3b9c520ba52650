import { createHash } from 'node:crypto';
import type { MockScript, ScriptAction, ScriptMatch, ScriptRespond, ScriptRule } from './script.js';

export type CliName = 'claude' | 'codex' | 'gemini';

/** What a dialect reads out of one request: enough to find the rule and the step. */
export interface Conversation {
  cli: CliName;
  /** Text of the latest user prompt that carries the orchestrator header (or the latest user text). */
  prompt: string;
  /**
   * Model turns after that prompt that called one of the script's actions. The script is
   * stateless per conversation: the history the CLI sends back says how far it got.
   */
  actionTurns: number;
}

/** What the model should say next. */
export type Step =
  | { kind: 'error'; status: number; message: string }
  | { kind: 'action'; action: ScriptAction; index: number; delayMs: number }
  | { kind: 'final'; text?: string; structured?: unknown; delayMs: number; hang: boolean };

export interface Call {
  cli: CliName;
  rule: number | null;
  header: Record<string, string>;
  actionTurns: number;
  step: Step['kind'];
  at: string;
}

const HEADER = /\[orchestrate\s+([^\]\n]*)\]/g;

/** The last `[orchestrate role=… kind=…]` header in a text (`task=-` means none). */
export function parseHeader(text: string): Record<string, string> {
  const all = [...text.matchAll(HEADER)];
  const last = all.at(-1);
  if (!last?.[1]) return {};
  const out: Record<string, string> = {};
  for (const pair of last[1].matchAll(/([A-Za-z][\w-]*)=(\S+)/g)) if (pair[1] && pair[2]) out[pair[1]] = pair[2];
  if (out.task === '-') delete out.task;
  return out;
}

/**
 * Where a conversation's step count starts: the earliest of the user texts (oldest first) that
 * carries the same header as the one at `latest`. A resumed conversation repeats its header in
 * the resume prompt, and a model continuing "where it left off" counts the steps before it too.
 */
export function stepsStartAt(userTexts: readonly (string | undefined)[], latest: number): number {
  const want = JSON.stringify(parseHeader(userTexts[latest] ?? ''));
  if (want === '{}') return latest;
  for (let i = 0; i < latest; i++) {
    const text = userTexts[i];
    if (text !== undefined && JSON.stringify(parseHeader(text)) === want) return i;
  }
  return latest;
}

const anyOf = (want: string | string[], have: string | undefined): boolean =>
  have !== undefined && (Array.isArray(want) ? want.includes(have) : want === have);

export function ruleMatches(match: ScriptMatch | undefined, cli: CliName, header: Record<string, string>, prompt: string): boolean {
  if (!match) return true;
  for (const key of ['role', 'kind', 'task', 'mode'] as const) {
    const want = match[key];
    if (want !== undefined && !anyOf(want, header[key])) return false;
  }
  if (match.cli !== undefined && !anyOf(match.cli, cli)) return false;
  if (match.promptIncludes !== undefined) {
    const needles = Array.isArray(match.promptIncludes) ? match.promptIncludes : [match.promptIncludes];
    if (!needles.every((n) => prompt.includes(n))) return false;
  }
  return true;
}

/** Fake-agent-only rules (a process that crashes or prints raw bytes) cannot be played by a model server. */
const playable = (rule: ScriptRule): boolean => rule.respond.raw === undefined && rule.respond.behavior !== 'crash';

const NO_RULE: ScriptRespond = { actions: [], text: 'mock provider: no rule matched' };

/**
 * Picks rules and steps. A conversation's first request (no action turns yet) takes a rule and
 * uses one of its `times`; the later requests of that conversation stay with it, keyed by the
 * prompt, so a relaunch (a new conversation with the same prompt) takes the next rule.
 */
export class MockEngine {
  readonly calls: Call[] = [];
  private readonly uses = new Map<number, number>();
  private readonly bound = new Map<string, number | null>();

  constructor(private readonly script: MockScript) {}

  next(conversation: Conversation): Step {
    const header = parseHeader(conversation.prompt);
    const key = `${conversation.cli}:${createHash('sha256').update(conversation.prompt).digest('hex')}`;
    let rule: number | null;
    if (conversation.actionTurns === 0 || !this.bound.has(key)) {
      rule = this.choose(conversation, header, conversation.actionTurns === 0);
      this.bound.set(key, rule);
    } else {
      rule = this.bound.get(key) ?? null;
    }
    const respond = rule === null ? NO_RULE : (this.script.rules[rule]?.respond ?? NO_RULE);
    const step = stepOf(respond, conversation.actionTurns);
    this.calls.push({ cli: conversation.cli, rule, header, actionTurns: conversation.actionTurns, step: step.kind, at: new Date().toISOString() });
    return step;
  }

  private choose(conversation: Conversation, header: Record<string, string>, consume: boolean): number | null {
    const rules = this.script.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!rule || !playable(rule)) continue;
      const used = this.uses.get(i) ?? 0;
      if (rule.times !== undefined && used >= rule.times) continue;
      if (!ruleMatches(rule.match, conversation.cli, header, conversation.prompt)) continue;
      if (consume) this.uses.set(i, used + 1);
      return i;
    }
    return null;
  }
}

function stepOf(respond: ScriptRespond, turns: number): Step {
  const delayMs = respond.delayMs ?? 0;
  if (respond.error) {
    return { kind: 'error', status: respond.error.status, message: respond.error.message ?? `mock provider: scripted HTTP ${respond.error.status}` };
  }
  const action = respond.actions[turns];
  if (action) return { kind: 'action', action, index: turns, delayMs };
  return {
    kind: 'final',
    ...(respond.text !== undefined ? { text: respond.text } : {}),
    ...(respond.structured !== undefined ? { structured: respond.structured } : {}),
    delayMs,
    hang: respond.behavior === 'hang',
  };
}
