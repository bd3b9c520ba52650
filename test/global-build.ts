import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function built(): number {
  try {
    return statSync(join(ROOT, 'dist', 'bin', 'cli.js')).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Many tests run the built CLI (`dist/`). It is built once here, before any test file starts,
 * and only when a source is newer than the build: a build inside test files would rewrite
 * `dist/` under the feet of other files running in parallel.
 */
export default function setup(): void {
  if (built() >= Math.max(newest(join(ROOT, 'src')), statSync(join(ROOT, 'package.json')).mtimeMs)) return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}
