import { ORCHESTRATOR_MCP_SERVER } from '../agents/common/orchestrator-tools.js';
import type { McpServerSpec } from '../agents/types.js';

export interface ReportingLaunchOptions {
  /** Absolute path of the built CLI entry (dist/bin/cli.js, the bundle). */
  cliEntry: string;
  sessionId: string;
  workerId: string;
  /** JSONL file the server appends every accepted call to. */
  reportLog: string;
}

/**
 * The reporting server as every agent launch gets it; the adapters turn this into Claude
 * `--mcp-config`, Codex `-c mcp_servers.…` and Gemini settings.
 */
export function reportingMcpServer(opts: ReportingLaunchOptions): Record<string, McpServerSpec> {
  return {
    [ORCHESTRATOR_MCP_SERVER]: {
      // The running Node, not `node` from PATH: the agent's PATH may lack it or hold an older one.
      command: process.execPath,
      args: [opts.cliEntry, 'mcp'],
      // runReportingServer reads its identity from env, which all three adapters hand to the server.
      env: {
        ORCHESTRATE_SESSION_ID: opts.sessionId,
        ORCHESTRATE_WORKER_ID: opts.workerId,
        ORCHESTRATE_REPORT_LOG: opts.reportLog,
      },
    },
  };
}
