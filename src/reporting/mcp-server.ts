import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ORCHESTRATOR_MCP_SERVER } from '../agents/common/orchestrator-tools.js';
import { packageVersion } from '../package-root.js';

/*
 * The orchestrator's reporting channel. The agent CLIs show every call to these tools in their own
 * stream, where orchestratorToolEvent() turns it into an event; so the argument names here are the
 * ones that function reads (`text`, `progress`, `file`) and must not drift from it.
 * The SDK (1.x ≥ 1.23) takes zod 4 schemas directly, so the project's `zod` is used as is.
 */

export interface ReportingServerOptions {
  sessionId?: string;
  workerId?: string;
  /** JSONL file every accepted call is appended to: a second channel for CLIs that hide MCP calls. */
  reportLog?: string;
}

/** One line of the report log. */
export interface ReportLogRecord {
  tool: string;
  arguments: Record<string, unknown>;
  sessionId?: string;
  workerId?: string;
  timestamp: string;
}

// Custom messages: the model reads them in the error result and should be able to fix its call.
const textField = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'text is required' : 'text must be a string') })
    .min(1, { error: 'text must not be empty', abort: true })
    // A refinement rather than a regex keeps `pattern` out of the JSON Schema the models are given:
    // each vendor accepts its own subset of JSON Schema, and plain keywords are the safe common part.
    .refine((value) => /\S/.test(value), 'text must not be blank')
    .describe(what);
const file = z
  .string({ error: 'file must be a string (a path relative to the repository)' })
  .optional()
  .describe('Optional path, relative to the repository, that this is about.');

const progressInput = z.object({
  text: textField('One sentence: what is done and what comes next.'),
  progress: z
    .number({
      error: (issue) => (issue.input === undefined ? 'progress is required: a percentage from 0 to 100' : 'progress must be a number'),
    })
    .min(0, 'progress must be a percentage from 0 to 100')
    .max(100, 'progress must be a percentage from 0 to 100')
    .describe('Estimated completion of your task, 0 to 100.'),
  file,
});
const milestoneInput = z.object({ text: textField('One sentence: what now works and can be reviewed.'), file });
const blockerInput = z.object({ text: textField('One sentence: what blocks you and what you need.'), file });
const findingInput = z.object({
  text: textField('One sentence: what you found (a bug, a risk, a wrong assumption).'),
  severity: z
    .enum(['info', 'minor', 'major', 'critical'], { error: 'severity must be one of info, minor, major, critical' })
    .describe('How much it matters: info, minor, major or critical.'),
  file,
});
const reviewInput = z.object({ text: textField('One sentence: why you want a review now.'), file });

function acknowledge(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }] };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}


export function createReportingServer(options: ReportingServerOptions = {}): McpServer {
  const server = new McpServer({ name: ORCHESTRATOR_MCP_SERVER, version: packageVersion() });

  // The write is the only thing that can fail; it becomes an error result, never an exception.
  async function record(tool: string, args: Record<string, unknown>, ack: string): Promise<CallToolResult> {
    if (!options.reportLog) return acknowledge(ack);
    const line: ReportLogRecord = {
      tool,
      arguments: args,
      sessionId: options.sessionId,
      workerId: options.workerId,
      timestamp: new Date().toISOString(),
    };
    try {
      await mkdir(dirname(options.reportLog), { recursive: true });
      // One write per line with O_APPEND, so concurrent calls never interleave within a line.
      await appendFile(options.reportLog, `${JSON.stringify(line)}\n`, 'utf8');
      return acknowledge(ack);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return failure(`${tool} not recorded: cannot write the report log (${reason})`);
    }
  }

  // readOnlyHint: reporting changes nothing in the agent's workspace; CLIs that gate other tools in
  // read-only or review modes must still let these through.
  const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false };

  server.registerTool(
    'report_progress',
    {
      title: 'Report progress',
      description: 'Tell the orchestrator how far along your task is. Call it after each meaningful step.',
      inputSchema: progressInput,
      annotations,
    },
    (args) => record('report_progress', args, `progress recorded (${args.progress}%)`),
  );
  server.registerTool(
    'report_milestone',
    {
      title: 'Report a milestone',
      description: 'Tell the orchestrator that a coherent piece of work is done and ready for peer review.',
      inputSchema: milestoneInput,
      annotations,
    },
    (args) => record('report_milestone', args, 'milestone recorded; the orchestrator will schedule a review'),
  );
  server.registerTool(
    'report_blocker',
    {
      title: 'Report a blocker',
      description: 'Tell the orchestrator you cannot go on without a decision, access or information.',
      inputSchema: blockerInput,
      annotations,
    },
    (args) => record('report_blocker', args, 'blocker recorded; the orchestrator will decide how to unblock you'),
  );
  server.registerTool(
    'report_finding',
    {
      title: 'Report a finding',
      description: 'Tell the orchestrator about something others should know: a bug, a risk, a wrong assumption.',
      inputSchema: findingInput,
      annotations,
    },
    (args) => record('report_finding', args, `finding recorded (${args.severity})`),
  );
  server.registerTool(
    'request_review',
    {
      title: 'Request a review',
      description: 'Ask the orchestrator for a peer review of your current work before you go on.',
      inputSchema: reviewInput,
      annotations,
    },
    (args) => record('request_review', args, 'review requested; the orchestrator will schedule it'),
  );
  return server;
}

function diagnose(message: string): void {
  // stdout carries the protocol; anything else there would corrupt it.
  process.stderr.write(`orchestrate mcp: ${message}\n`);
}

/** Serves the reporting tools on stdin/stdout until the client closes stdin (or stdout breaks). */
export async function runReportingServer(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const server = createReportingServer({
    sessionId: env.ORCHESTRATE_SESSION_ID || undefined,
    workerId: env.ORCHESTRATE_WORKER_ID || undefined,
    reportLog: env.ORCHESTRATE_REPORT_LOG || undefined,
  });
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  server.server.onerror = (error) => diagnose(error.message);
  const shutdown = () => {
    server.close().catch((error: unknown) => diagnose(error instanceof Error ? error.message : String(error)));
  };
  // The SDK's stdio transport ignores end of input; without this the server would outlive its client.
  process.stdin.once('end', shutdown);
  // A client that went away turns our writes into EPIPE; stop instead of crashing on an unhandled error.
  const brokenPipe = (error: Error) => {
    diagnose(`stdout: ${error.message}`);
    shutdown();
  };
  process.stdout.on('error', brokenPipe);
  try {
    await server.connect(new StdioServerTransport(process.stdin, process.stdout));
    await closed;
  } finally {
    process.stdin.off('end', shutdown);
    process.stdout.off('error', brokenPipe);
  }
}
