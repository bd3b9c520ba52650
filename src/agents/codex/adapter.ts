import type { AgentAdapter } from '../types.js';
import { buildCommand } from './command.js';
import { classify } from './recovery.js';
import { type CodexState, finish, initialState, translate } from './translate.js';

/** Codex CLI 0.169 driven through `codex exec --json`. */
export const codexAdapter: AgentAdapter<CodexState> = {
  name: 'codex',
  binary: 'codex',
  buildCommand,
  initialState,
  translate,
  finish,
  classify,
};
