/**
 * Every agent runs in its own process group. If the orchestrator exits (or an
 * actor is torn down without its cleanup finishing), the groups still alive are
 * killed here, so no agent outlives the orchestrator as an orphan.
 */
const liveGroups = new Set<number>();
let hooked = false;

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: the group is already gone, which is the outcome we want.
    return false;
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
}

export function registerGroup(pgid: number): void {
  hookExit();
  liveGroups.add(pgid);
}

export function forgetGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** SIGTERM the whole group, then SIGKILL it after `graceMs` if anything is left. */
export function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  killGroup(pgid, 'SIGTERM');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      killGroup(pgid, 'SIGKILL');
      forgetGroup(pgid);
      resolve();
    }, graceMs);
    // A pending kill must not keep the orchestrator alive; the exit hook covers it.
    timer.unref();
  });
}

export { killGroup };
