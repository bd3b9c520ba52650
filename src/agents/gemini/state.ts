import { z } from 'zod';

/** What the translator remembers about a tool call until its result arrives. */
export interface PendingTool {
  readonly name: string;
  readonly file?: string;
  readonly command?: string;
  /** Reporting/todo tools already became their own event; a successful result adds nothing. */
  readonly quiet: boolean;
}

export interface GeminiState {
  readonly sessionId?: string;
  readonly model?: string;
  /** Assistant `delta:true` chunks not yet emitted, with the first chunk's time. */
  readonly buffer?: { readonly text: string; readonly timestamp?: string };
  /** The last complete assistant message: the run's final answer once `result` arrives. */
  readonly lastMessage?: string;
  readonly lastAgentError?: string;
  readonly tools: Readonly<Record<string, PendingTool>>;
  /** A run.failed / api.error was emitted, so a non-zero exit needs no further explanation. */
  readonly failureExplained: boolean;
}

export function initialState(): GeminiState {
  return { tools: {}, failureExplained: false };
}

const IsoTimestamp = z.iso.datetime({ offset: true });

/** The native line's time, if it is one the event schema accepts. */
export function timestampOf(line: { timestamp?: string | undefined }): string | undefined {
  return IsoTimestamp.safeParse(line.timestamp).success ? line.timestamp : undefined;
}

export function at(timestamp: string | undefined): { timestamp?: string } {
  return timestamp ? { timestamp } : {};
}
