import { Box, useApp, useInput, type Key } from 'ink';
import { useContext } from 'react';
import type { SessionEvent } from '../machines/session.js';
import { StoreContext } from './context.js';
import { EventLog } from './components/event-log.js';
import { Header } from './components/header.js';
import { Hints } from './components/hints.js';
import { Prompt } from './components/prompt.js';
import { Reviews } from './components/reviews.js';
import { Workers } from './components/workers.js';
import { handleKey } from './keys.js';

export interface AppProps {
  /** The root actor's way in (SessionHandle.send); absent when read-only. */
  send?: ((event: SessionEvent) => void) | undefined;
  /** Answers a command waiting for confirmation (SessionHandle.confirmations); absent when read-only. */
  confirm?: ((id: string, approve: boolean) => void) | undefined;
}

/** Layout, and keys → the key map → the store and the root actor. Nothing is decided here. */
export function App({ send, confirm }: AppProps) {
  const store = useContext(StoreContext);
  const { exit } = useApp();
  useInput((input: string, key: Key) => {
    if (!store) return;
    const s = store.getState();
    const out = handleKey(s.ui, input, key, { view: s.view, readOnly: s.readOnly, keepAlive: s.keepAlive });
    store.update({ ui: out.ui });
    if (out.command) send?.(out.command);
    if (out.confirm) confirm?.(out.confirm.id, out.confirm.approve);
    if (out.quit) exit();
  });
  return (
    <Box flexDirection="column">
      <Header />
      <Box marginTop={1} flexDirection="column">
        <Workers />
      </Box>
      <Box marginTop={1} flexDirection="column">
        <Reviews />
      </Box>
      <Box marginTop={1} flexDirection="column">
        <EventLog />
      </Box>
      <Prompt />
      <Hints />
    </Box>
  );
}
