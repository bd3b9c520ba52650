import { isAbsolute, join, resolve } from 'node:path';
import type { OrchestrateConfig } from '../config/load.js';
import type { LaunchTemplate } from '../machines/session-context.js';
import { reportingMcpServer } from '../reporting/launch.js';
import type { SandboxSpec } from '../safety/sandbox.js';

export interface TemplateContext {
  config: OrchestrateConfig;
  sessionId: string;
  target: string;
  sessionDir: string;
  isGitRepo: boolean;
  /** dist/bin/cli.js, for the `orchestrate mcp` reporting server and the `orchestrate guard` hook. */
  cliEntry?: string;
  /** The configuration file, so the guard applies the same command lists. */
  configPath?: string | undefined;
  /** The OS sandbox every agent process runs in (bubblewrap), when there is one. */
  sandbox?: SandboxSpec;
}

/** Launch data per configured agent: everything that does not depend on the step. */
export function launchTemplates(ctx: TemplateContext): Record<string, LaunchTemplate> {
  const { config } = ctx;
  const extraDirs = [ctx.sessionDir, ...config.safety.allowedRoots.map((d) => (isAbsolute(d) ? d : resolve(ctx.target, d)))];
  const templates: Record<string, LaunchTemplate> = {};
  for (const [name, agent] of Object.entries(config.agents)) {
    templates[name] = {
      cwd: ctx.target,
      workspace: ctx.sessionDir,
      extraDirs: [...new Set(extraDirs)],
      ...(agent.command ? { command: agent.command } : {}),
      extraArgs: agent.args,
      env: agent.env,
      ...(agent.home ? { home: agent.home } : {}),
      isGitRepo: ctx.isGitRepo,
      ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
      runningAsRoot: process.getuid?.() === 0,
      ...(ctx.cliEntry && ctx.config.safety.guard
        ? {
            guard: {
              command: process.execPath,
              // A command that needs confirmation waits for the user's answer in the session folder.
              args: [
                ctx.cliEntry,
                'guard',
                ...[ctx.target, ...extraDirs].flatMap((d) => ['--allow-root', d]),
                '--confirm-dir',
                join(ctx.sessionDir, 'confirmations'),
                ...(ctx.configPath ? ['--config', ctx.configPath] : []),
              ],
            },
          }
        : {}),
      ...(ctx.cliEntry
        ? { mcpServers: reportingMcpServer({ cliEntry: ctx.cliEntry, sessionId: ctx.sessionId, workerId: name, reportLog: resolve(ctx.sessionDir, 'reports.jsonl') }) }
        : {}),
    };
  }
  return templates;
}
