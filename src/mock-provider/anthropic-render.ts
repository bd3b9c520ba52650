import { posix } from 'node:path';
import { shellQuote } from '../agents/common/shell-quote.js';
import type { Step } from './engine.js';
import type { ScriptAction } from './script.js';
import { MOCK_TOOL_PREFIX, STRUCTURED_TOOL, WAIT_MCP_TOOL, type ClaudeRequest } from './anthropic-request.js';
import { randomId, type OutBlock } from './anthropic-stream.js';

export interface Rendered {
  blocks: OutBlock[];
  stopReason: 'end_turn' | 'tool_use';
}

export const DEFAULT_NOEXEC = './noexec.sh';
export const DEFAULT_OUTSIDE = '/var/tmp/orchestrate-outside/outside.txt';
/** A final step without text or structured answer: an empty answer makes Claude Code ask again. */
export const DEFAULT_FINAL_TEXT = 'Done.';
/** The answer to the request that carries StructuredOutput's result. */
export const AFTER_STRUCTURED_TEXT = 'Structured answer given.';

const text = (value: string): Rendered => ({ blocks: [{ type: 'text', text: value }], stopReason: 'end_turn' });

function calls(req: ClaudeRequest, index: number, uses: { name: string; input: unknown }[]): Rendered {
  const missing = uses.find((u) => !req.tools.includes(u.name));
  // Calling a tool the CLI did not offer only yields a tool error; saying so is clearer.
  if (missing) return text(`mock provider: cannot run the scripted step, the tool ${missing.name} is not offered in this run (tools: ${req.tools.join(', ') || 'none'}).`);
  return { blocks: uses.map((u) => ({ type: 'tool_use', id: randomId(`${MOCK_TOOL_PREFIX}${index}_`), ...u })), stopReason: 'tool_use' };
}

const bash = (command: string, description: string): { name: string; input: unknown } => ({ name: 'Bash', input: { command, description } });

/** Exact bytes through base64, for when Write cannot be used (no cwd to make the path absolute). */
function writeByShell(path: string, content: string): string {
  const dir = posix.dirname(path);
  const b64 = Buffer.from(content, 'utf8').toString('base64');
  return `mkdir -p -- ${shellQuote(dir)} && printf %s ${shellQuote(b64)} | base64 -d > ${shellQuote(path)}`;
}

function write(req: ClaudeRequest, index: number, path: string, content: string): Rendered {
  const absolute = posix.isAbsolute(path) ? path : req.cwd === undefined ? undefined : posix.join(req.cwd, path);
  if (absolute === undefined || !req.tools.includes('Write')) return calls(req, index, [bash(writeByShell(path, content), 'mock: write a file')]);
  return calls(req, index, [{ name: 'Write', input: { file_path: absolute, content } }]);
}

/** The offered name of an orchestrator tool: Claude prefixes MCP tools with `mcp__<server>__`. */
export function mcpToolName(tools: readonly string[], tool: string, preferred?: string): string | undefined {
  if (preferred !== undefined && tools.includes(preferred)) return preferred;
  const exact = `mcp__orchestrate__${tool}`;
  if (tools.includes(exact)) return exact;
  return tools.find((t) => t.startsWith('mcp__') && t.endsWith(`__${tool}`));
}

function todos(req: ClaudeRequest, index: number, items: Extract<ScriptAction, { todos: unknown }>['todos']): Rendered {
  if (req.tools.includes('TodoWrite')) {
    return calls(req, index, [{ name: 'TodoWrite', input: { todos: items.map((t) => ({ content: t.text, status: t.status, activeForm: t.text })) } }]);
  }
  // Claude Code 2.1 replaced TodoWrite by a task list; one turn creates every item (status is not settable at creation).
  if (req.tools.includes('TaskCreate') && items.length > 0) {
    return calls(req, index, items.map((t) => ({ name: 'TaskCreate', input: { subject: t.text, description: t.text, activeForm: t.text } })));
  }
  return text(`mock provider: no todo tool is offered; the todos were: ${items.map((t) => `${t.text} (${t.status})`).join('; ')}`);
}

export function renderAction(action: ScriptAction, index: number, req: ClaudeRequest): Rendered {
  if ('shell' in action) return calls(req, index, [bash(action.shell, 'mock: run a shell command')]);
  if ('write' in action) return write(req, index, action.write.path, action.write.content);
  if ('todos' in action) return todos(req, index, action.todos);
  if ('report' in action) {
    const name = mcpToolName(req.tools, action.report.tool, action.report.name);
    // The MCP server may still be connecting when the first request goes out (seen in dontAsk
    // runs): a model would wait for it, so the mock does too, once.
    if (name === undefined && req.tools.includes(WAIT_MCP_TOOL) && !req.afterMcpWait) {
      return calls(req, index, [{ name: WAIT_MCP_TOOL, input: { servers: ['orchestrate'] } }]);
    }
    if (name === undefined) return text(`mock provider: the orchestrator tool ${action.report.tool} is not offered in this run, so it was not called.`);
    return calls(req, index, [{ name, input: action.report.arguments }]);
  }
  const fail = action.fail;
  if (fail.kind === 'permission_denied') {
    const path = fail.path ?? DEFAULT_NOEXEC;
    // A real failure needs a file without the execute bit; make one only if the path is free.
    const command = fail.command ?? `{ [ -e ${shellQuote(path)} ] || { printf 'echo hi\\n' > ${shellQuote(path)} && chmod 644 ${shellQuote(path)}; }; } && ${shellQuote(path)}`;
    return calls(req, index, [bash(command, 'mock: run a script that is not executable')]);
  }
  return write(req, index, fail.path ?? DEFAULT_OUTSIDE, fail.content ?? 'mock: a write outside the workspace\n');
}

export function renderFinal(step: Extract<Step, { kind: 'final' }>, req: ClaudeRequest): Rendered {
  if (req.afterStructured) return text(AFTER_STRUCTURED_TEXT);
  const lead: OutBlock[] = step.text !== undefined && step.text !== '' ? [{ type: 'text', text: step.text }] : [];
  if (step.structured === undefined) return lead.length > 0 ? { blocks: lead, stopReason: 'end_turn' } : text(DEFAULT_FINAL_TEXT);
  if (req.tools.includes(STRUCTURED_TOOL)) {
    const call: OutBlock = { type: 'tool_use', id: randomId(`${MOCK_TOOL_PREFIX}answer_`), name: STRUCTURED_TOOL, input: step.structured };
    return { blocks: [...lead, call], stopReason: 'tool_use' };
  }
  return { blocks: [...lead, { type: 'text', text: JSON.stringify(step.structured) }], stopReason: 'end_turn' };
}
