import type { AgentEventDraft, RecoveryKind, Role } from '../protocol/index.js';

/** work: may change files; review: reads and answers a verdict; read-only: reads only. */
export type RunMode = 'work' | 'review' | 'read-only';

export interface McpServerSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** A correction that a recovery classifier asks for; command builders know how to apply each. */
export type LaunchFix =
  | { kind: 'include-directories'; dirs: string[] }
  | { kind: 'add-dir'; dirs: string[] }
  | { kind: 'skip-git-repo-check' }
  | { kind: 'skip-trust' }
  | { kind: 'is-sandbox-env' };

/** Everything a command builder needs; identity and policy only, no I/O. */
export interface LaunchRequest {
  role: Role;
  mode: RunMode;
  prompt: string;
  /** The target repository: the agent's working directory. */
  cwd: string;
  /** Orchestrator workspace for this session (schemas, logs). */
  workspace: string;
  /** Further directories the agent may touch (workspace, orchestrator dir, ...). */
  extraDirs: string[];
  /** The binary to run; defaults to the adapter's usual name. */
  command?: string;
  /** Extra arguments from config, placed before the prompt. */
  extraArgs?: string[];
  /** Extra environment from config (model endpoint, keys); wins over adapter defaults. */
  env?: Record<string, string>;
  /** A HOME owned by the orchestrator for this agent; config files may be written there. */
  home?: string;
  /** Continue the CLI's own conversation. */
  resumeSessionId?: string;
  /** Preset the CLI's conversation id where the CLI allows it (Claude, Gemini). */
  presetSessionId?: string;
  /** JSON Schema the final answer must follow (plans, review verdicts). */
  outputSchema?: Record<string, unknown>;
  mcpServers?: Record<string, McpServerSpec>;
  /** The target is inside a git work tree (Codex refuses others without a flag). */
  isGitRepo?: boolean;
  /** The orchestrator runs as uid 0 (Claude refuses bypass mode as root without IS_SANDBOX=1). */
  runningAsRoot?: boolean;
  /** Corrections applied by recovery, in order. */
  fixes?: LaunchFix[];
  /**
   * The policy guard (`orchestrate guard ...`) to install as the CLI's pre-tool hook, where the
   * CLI has hooks: every shell command and file access is checked before it runs.
   */
  guard?: { command: string; args: string[] };
  /**
   * The OS sandbox the process runs in (bubblewrap): the launch is wrapped after the adapter
   * built it, with the allowed roots, the directories fixes added and the agent's HOME writable.
   */
  sandbox?: { kind: 'bwrap'; bwrap: string; writable: string[] };
}

/** A file the launcher must write before spawning (settings, schemas). */
export interface LaunchFile {
  path: string;
  content: string;
  /** Never overwrite a file the user already has there. */
  ifMissing?: boolean;
  /**
   * A JSON settings file this one is based on (the user's own settings, or the previous version
   * of this file): the launcher writes `jsonDefaults`, then that file's settings, then `content`,
   * each deep-merged over the one before. A missing or unreadable file is skipped.
   */
  mergeJsonFrom?: string;
  jsonDefaults?: Record<string, unknown>;
  /** Instead of content: a symbolic link to this path, made only when it exists and `path` does not. */
  linkTo?: string;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  /** Added to (not replacing) the orchestrator's environment. */
  env: Record<string, string>;
  cwd: string;
  /** Written to the child's stdin, then stdin is closed. Absent: stdin is /dev/null. */
  input?: string;
  files: LaunchFile[];
}

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
}

/** What a classifier looks at after (or during) a run. */
export interface FailureEvidence {
  request: LaunchRequest;
  events: readonly AgentEventDraft[];
  stderr: string;
  exit?: ExitInfo;
}

export type Remedy =
  | { action: 'relaunch'; fix: LaunchFix; request: LaunchRequest; change: string }
  | { action: 'escalate'; suggestions: string[] };

export interface Classification {
  kind: RecoveryKind;
  /** The exact text that matched, for the recovery log. */
  evidence: string;
  remedy: Remedy;
}

export interface TranslateResult<S> {
  events: AgentEventDraft[];
  state: S;
}

export interface AgentAdapter<S = unknown> {
  readonly name: 'claude' | 'codex' | 'gemini' | 'jsonl';
  /** Default binary name. */
  readonly binary: string;
  buildCommand(request: LaunchRequest): LaunchSpec;
  initialState(): S;
  /** Pure: one native stdout line plus the stream state in, events and the next state out. Never throws. */
  translate(line: string, state: S): TranslateResult<S>;
  /** Pure: end of stream (flush buffered text, explain the exit code). */
  finish(state: S, exit: ExitInfo): AgentEventDraft[];
  /** Pure: a recognised failure and its remedy, or null. */
  classify(evidence: FailureEvidence): Classification | null;
}
