import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The mock provider's script. It is the same rule format as the fake agents' scripted mode
 * (test/fixtures/agents/README.md), so one scenario drives either the real CLIs through this
 * server or the fake CLIs; `error` is understood only here (a fake has no HTTP to fail).
 */
const OneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);

export const ScriptMatch = z.strictObject({
  role: OneOrMany.optional(),
  kind: OneOrMany.optional(),
  task: OneOrMany.optional(),
  mode: OneOrMany.optional(),
  cli: z.union([z.enum(['claude', 'codex', 'gemini']), z.array(z.enum(['claude', 'codex', 'gemini'])).min(1)]).optional(),
  promptIncludes: OneOrMany.optional(),
});
export type ScriptMatch = z.infer<typeof ScriptMatch>;

export const REPORT_TOOLS = ['report_milestone', 'report_blocker', 'report_progress', 'report_finding', 'request_review'] as const;

export const ScriptAction = z.union([
  z.strictObject({ shell: z.string().min(1) }),
  z.strictObject({ write: z.strictObject({ path: z.string().min(1), content: z.string() }) }),
  z.strictObject({
    report: z.strictObject({
      tool: z.enum(REPORT_TOOLS),
      arguments: z.record(z.string(), z.unknown()).default({}),
      result: z.string().optional(),
      name: z.string().optional(),
    }),
  }),
  z.strictObject({
    todos: z.array(z.strictObject({ text: z.string(), status: z.enum(['pending', 'in_progress', 'completed']) })),
  }),
  z.strictObject({
    fail: z.strictObject({
      kind: z.enum(['permission_denied', 'path_outside_workspace']),
      path: z.string().optional(),
      command: z.string().optional(),
      content: z.string().optional(),
    }),
  }),
]);
export type ScriptAction = z.infer<typeof ScriptAction>;

export const ScriptRespond = z.strictObject({
  actions: z.array(ScriptAction).default([]),
  text: z.string().optional(),
  structured: z.unknown().optional(),
  delayMs: z.number().int().nonnegative().optional(),
  /** HTTP error instead of an answer; the CLI's own retries count as further requests. */
  error: z
    .strictObject({
      status: z.number().int().min(400).max(599),
      message: z.string().optional(),
    })
    .optional(),
  // Fake-agent only: the process itself misbehaves, which a model server cannot cause.
  exitCode: z.number().int().optional(),
  stderr: z.string().optional(),
  behavior: z.enum(['hang', 'crash']).optional(),
  raw: z.strictObject({ stdout: z.string().default(''), stderr: z.string().default(''), exitCode: z.number().int().default(0) }).optional(),
});
export type ScriptRespond = z.infer<typeof ScriptRespond>;

export const ScriptRule = z.strictObject({
  match: ScriptMatch.optional(),
  times: z.number().int().positive().optional(),
  respond: ScriptRespond,
});
export type ScriptRule = z.infer<typeof ScriptRule>;

export const MockScript = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  rules: z.array(ScriptRule),
});
export type MockScript = z.infer<typeof MockScript>;
export type MockScriptInput = z.input<typeof MockScript>;

export type ScriptError = { kind: 'script.unreadable' | 'script.syntax' | 'script.invalid'; message: string };

/** JSON is YAML, so one parser reads both; errors name the file and the offending field. */
export function parseScript(text: string, source = 'script'): MockScript | ScriptError {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    return { kind: 'script.syntax', message: `${source}: ${(error as Error).message}` };
  }
  const parsed = MockScript.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { kind: 'script.invalid', message: `${source}: ${issues}` };
  }
  return parsed.data;
}

export function loadScript(path: string): MockScript | ScriptError {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { kind: 'script.unreadable', message: `${path}: ${(error as Error).message}` };
  }
  return parseScript(text, path);
}

export const isScriptError = (value: MockScript | ScriptError): value is ScriptError => 'kind' in value;
