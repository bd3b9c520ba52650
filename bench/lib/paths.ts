import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: found by walking up, since this file runs both from bench/ (types) and bench/.build/ (compiled). */
function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench', 'fake'))) return dir;
  }
  throw new Error(`bench: no repository root above ${from}`);
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** The built CLI (`npm ci` builds it through `prepare`). */
export const CLI = join(ROOT, 'dist', 'bin', 'cli.js');
/** The fake Claude Code of the benchmarks (see its header). */
export const FAKE_CLAUDE = join(ROOT, 'bench', 'fake', 'claude');
export const TRANSCRIPTS = join(ROOT, 'test', 'fixtures', 'transcripts');
/** Compiled bench modules that run as their own processes. */
export const BUILD = join(ROOT, 'bench', '.build', 'bench');
