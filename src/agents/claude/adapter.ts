import type { AgentAdapter } from '../types.js';
import { buildCommand } from './command.js';
import { classify } from './recovery.js';
import { finish, initialState, translate } from './translate.js';
import type { ClaudeState } from './translate.js';

/** Claude Code 2.1.x driven with `-p --output-format stream-json --verbose`. */
export const claudeAdapter: AgentAdapter<ClaudeState> = {
  name: 'claude',
  binary: 'claude',
  buildCommand,
  initialState,
  translate,
  finish,
  classify,
};
