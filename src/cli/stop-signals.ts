/**
 * Ctrl-C (SIGINT) and SIGTERM as a request to stop the session, from before its first agent
 * starts. Without a listener Node dies at once on them, leaving the agents (each in its own
 * process group, so the terminal's SIGINT does not reach them) running with nobody to stop
 * them; and the session's own listener can only be set once it exists — after its first agent
 * has been spawned and while the dashboard is still loading. A signal in that window is kept
 * and delivered as soon as a stop can be.
 */
export interface StopSignals {
  /** Where a stop goes from now on; a signal that came before is delivered at once. */
  bind(stop: () => void): void;
  /** Back to Node's own handling (the process ends on the next signal); safe to call twice. */
  dispose(): void;
}

export function stopSignals(proc: Pick<NodeJS.Process, 'on' | 'off'> = process): StopSignals {
  let stop: (() => void) | undefined;
  let pending = false;
  const onSignal = (): void => {
    if (stop) stop();
    else pending = true;
  };
  proc.on('SIGINT', onSignal);
  proc.on('SIGTERM', onSignal);
  return {
    bind(next) {
      stop = next;
      if (pending) {
        pending = false;
        next();
      }
    },
    dispose() {
      proc.off('SIGINT', onSignal);
      proc.off('SIGTERM', onSignal);
    },
  };
}
