import { z } from 'zod';
import { ReviewAnswer, TaskBreakdown, type PlannedTask, type ReviewTrigger, type Role } from '../protocol/index.js';

/**
 * Prompt texts (pure). Every prompt starts with a machine-readable header line, so
 * logs, fake agents and humans can tell at once what a launch was for.
 */
export type PromptKind = 'plan' | 'implement' | 'review' | 'final-review';

export function header(role: Role, mode: string, kind: PromptKind, task = '-'): string {
  return `[orchestrate role=${role} mode=${mode} kind=${kind} task=${task}]`;
}

export const planSchema = (): Record<string, unknown> => z.toJSONSchema(TaskBreakdown);
export const verdictSchema = (): Record<string, unknown> => z.toJSONSchema(ReviewAnswer);

const REPORTING = [
  'Report as you go with the `orchestrate` MCP tools: report_progress {text, progress 0-100},',
  'report_milestone {text} when a meaningful piece is done (it is peer-reviewed), report_blocker {text}',
  'when you cannot continue, report_finding {text, severity} for problems you notice, request_review {text}',
  'to ask for a review.',
].join(' ');

export function planPrompt(args: { task: string; feedback?: string[]; clarification?: string }): string {
  return [
    header('architect', 'read-only', 'plan'),
    'You are the architect of a team of coding agents working on the repository in the current directory.',
    `The user's task:\n${args.task}`,
    'Study the repository, then break the task into small implementation tasks for the implementer.',
    'Each task has an id, a title, a description, an assignee role (normally "implementer"), the ids of tasks',
    'it depends on, and acceptance criteria that a reviewer can check.',
    ...(args.clarification ? [`The user clarified:\n${args.clarification}`] : []),
    ...(args.feedback?.length ? [`Your previous plan was rejected:\n- ${args.feedback.join('\n- ')}\nFix these problems.`] : []),
    'Do not change any files. Answer with exactly one JSON object following this JSON Schema, and nothing else:',
    JSON.stringify(planSchema()),
  ].join('\n\n');
}

export function implementPrompt(args: { task: string; plan: TaskBreakdown; current: PlannedTask; clarification?: string; warning?: string }): string {
  const { current, plan } = args;
  return [
    header('implementer', 'work', 'implement', current.id),
    `You are the implementer. The overall goal:\n${args.task}`,
    `The plan (${plan.tasks.length} tasks): ${plan.summary}\n${plan.tasks.map((t) => `- ${t.id}: ${t.title}${t.id === current.id ? '   <- yours now' : ''}`).join('\n')}`,
    `Your task ${current.id}: ${current.title}\n${current.description}`,
    `Acceptance criteria:\n- ${current.acceptanceCriteria.join('\n- ')}`,
    ...(args.warning ? [`A reviewer raised a concern about earlier work; keep it in mind:\n${args.warning}`] : []),
    ...(args.clarification ? [`The user clarified:\n${args.clarification}`] : []),
    'Make the change in the repository, run the relevant checks, and finish with a short summary of what you did.',
    REPORTING,
  ].join('\n\n');
}

export function reviewPrompt(args: {
  kind: 'review' | 'final-review';
  trigger: ReviewTrigger;
  subject: { workerId: string; role: Role; agent: string };
  task: string;
  milestone: string;
  diff: string;
  plan?: TaskBreakdown | undefined;
}): string {
  const { subject } = args;
  return [
    header('reviewer', 'review', args.kind),
    `You are reviewing work of the ${subject.role} (${subject.agent}) in the current repository. Trigger: ${args.trigger}.`,
    `The user's task:\n${args.task}`,
    ...(args.plan ? [`The plan:\n${JSON.stringify(args.plan, null, 1)}`] : []),
    `What the ${subject.role} reported:\n${args.milestone || '(nothing)'}`,
    `Changes since the last review (git diff):\n${args.diff || '(no changes)'}`,
    'Do not change any files. Judge correctness, completeness against the acceptance criteria, and risk.',
    'Verdicts: "approved" (good to continue), "concern" (a problem that should be looked at), "blocker" (must stop).',
    'Answer with exactly one JSON object following this JSON Schema (summary at most 200 words), and nothing else:',
    JSON.stringify(verdictSchema()),
  ].join('\n\n');
}

/** Bound a diff for a prompt: whole files are kept while they fit, then a note says what was left out. */
export function truncateDiff(diff: string, maxBytes: number): string {
  if (Buffer.byteLength(diff) <= maxBytes) return diff;
  const files = diff.split(/(?=^diff --git )/m);
  const kept: string[] = [];
  let used = 0;
  const omitted: string[] = [];
  for (const f of files) {
    const size = Buffer.byteLength(f);
    if (used + size <= maxBytes) {
      kept.push(f);
      used += size;
    } else {
      omitted.push(/^diff --git a\/(\S+)/.exec(f)?.[1] ?? '(part of a file)');
    }
  }
  if (kept.length === 0 && files[0]) kept.push(`${files[0].slice(0, maxBytes)}\n… (cut)\n`);
  return `${kept.join('')}\n[diff truncated to ${maxBytes} bytes; not shown: ${omitted.join(', ')}]`;
}
