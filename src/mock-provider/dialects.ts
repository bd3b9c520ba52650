import { anthropicDialect } from './anthropic.js';
import type { Dialect } from './dialect.js';
import { geminiDialect } from './gemini.js';
import { responsesDialect } from './responses.js';

/** Every model API the mock speaks; the server routes a request to the first that accepts it. */
export const DIALECTS: readonly Dialect[] = [anthropicDialect, responsesDialect, geminiDialect];
