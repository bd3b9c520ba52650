import type { AgentAdapter } from '../types.js';
import { buildCommand, GEMINI_BINARY } from './command.js';
import { classify } from './recovery.js';
import type { GeminiState } from './translate.js';
import { finish, initialState, translate } from './translate.js';

export const geminiAdapter: AgentAdapter<GeminiState> = {
  name: 'gemini',
  binary: GEMINI_BINARY,
  buildCommand,
  initialState,
  translate,
  finish,
  classify,
};
