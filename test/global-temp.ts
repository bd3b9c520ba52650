import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temporary folder of a run — the tests' own, the orchestrator's and the agents' they
 * spawn (all honour TMPDIR) — goes under one folder that is removed when the run ends. Tests
 * leave stores, workspaces and fake homes behind on purpose (a failure's files are evidence while
 * it runs); without this a day of runs filled /tmp with 30 GB. ORCHESTRATE_KEEP_TEMP=1 keeps it.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'orch-vitest-'));
  // Traversable like /tmp itself: the PostgreSQL tests run initdb as another user under it.
  chmodSync(root, 0o755);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (process.env.ORCHESTRATE_KEEP_TEMP === '1') return;
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      // A process a test left behind may still be writing there: the run's result stands.
      process.stderr.write(`test temp folder ${root} not removed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  };
}
