import { claudeAdapter } from './claude/adapter.js';
import { codexAdapter } from './codex/adapter.js';
import { geminiAdapter } from './gemini/adapter.js';
import { jsonlAdapter } from './jsonl/adapter.js';
import type { AgentAdapter } from './types.js';

export type * from './types.js';

export const ADAPTER_NAMES = ['claude', 'codex', 'gemini', 'jsonl'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/**
 * Adapters keep their stream state private; callers only hand it back, so the
 * registry erases it to `unknown`.
 */
const ADAPTERS: Record<AdapterName, AgentAdapter> = {
  claude: claudeAdapter,
  codex: codexAdapter,
  gemini: geminiAdapter,
  jsonl: jsonlAdapter,
};

export function isAdapterName(name: string): name is AdapterName {
  return (ADAPTER_NAMES as readonly string[]).includes(name);
}

export function getAdapter(name: AdapterName): AgentAdapter {
  return ADAPTERS[name];
}
