import { render } from 'ink';
import type { SessionEvent } from '../machines/session.js';
import type { EventLog } from '../persistence/types.js';
import type { SessionBus } from '../runtime/recorder.js';
import type { SessionActor } from '../runtime/run-session.js';
import { initialView } from '../view/index.js';
import { App } from './app.js';
import { StoreContext } from './context.js';
import { feedFromBus, feedFromStore, type FeedError } from './feed.js';
import { createTuiStore } from './store.js';
import { colorWanted, type Terminal } from './terminal.js';

export interface TuiOptions extends Terminal {
  sessionId: string;
  task?: string | undefined;
  log: EventLog;
  /** The session runs in this process: live entries from its bus, keys go to its root actor. */
  live?: { bus: SessionBus; send: (event: SessionEvent) => void; actor?: SessionActor; confirm?: (id: string, approve: boolean) => void } | undefined;
  /** Why controls are off (a session of another process, or one that ended); only without `live`. */
  readOnly?: string | undefined;
  /** Quitting the UI leaves the session running (something else keeps the process alive). */
  keepAlive?: boolean;
  env: NodeJS.ProcessEnv;
}

export interface TuiHandle {
  /** Resolves when the UI is gone (the user quit, or `close()`). */
  done: Promise<void>;
  close(): void;
}

/** Draws the session on the terminal until the user quits. */
export function startTui(o: TuiOptions): TuiHandle {
  const { stdout } = o;
  const store = createTuiStore({
    view: initialView(o.sessionId, { ...(o.task ? { task: o.task } : {}) }),
    color: colorWanted(o.env),
    readOnly: o.live ? undefined : (o.readOnly ?? 'no live session in this process'),
    keepAlive: o.keepAlive ?? false,
    rows: stdout.rows,
    columns: stdout.columns,
  });
  const say = (message: string): void => store.update({ ui: { ...store.getState().ui, message } });
  const onError = (e: FeedError): void => say(`${e.kind}: ${e.message}`);
  const stopFeed = o.live ? feedFromBus(o.log, o.sessionId, o.live.bus, store.push, onError) : feedFromStore(o.log, o.sessionId, store.push, onError);
  // The actor can halt without a final state (the log could not be written, the lease was lost):
  // then no log entry will say so, and the screen must.
  const watch = o.live?.actor?.subscribe({
    complete: () => {
      if (o.live?.actor?.getSnapshot().status === 'stopped') say('the session halted without finishing (see orchestrator.log); q quits');
    },
    error: (error: unknown) => say(`the session failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  const onResize = (): void => store.update({ rows: stdout.rows, columns: stdout.columns });
  stdout.on('resize', onResize);
  const instance = render(
    <StoreContext.Provider value={store}>
      <App send={o.live?.send} confirm={o.live?.confirm} />
    </StoreContext.Provider>,
    // Ctrl+C is a key like q (it asks before stopping a live session); Ink would just exit.
    { stdin: o.stdin, stdout, exitOnCtrlC: false, maxFps: 10 },
  );
  const cleanup = (): void => {
    // Ink leaves the cursor after the last frame: what is printed next starts on its own line.
    stdout.write('\n');
    stopFeed();
    watch?.unsubscribe();
    stdout.off('resize', onResize);
    store.dispose();
  };
  const done = instance.waitUntilExit().then(cleanup, (error: unknown) => {
    cleanup();
    throw error;
  });
  return { done, close: () => instance.unmount() };
}
