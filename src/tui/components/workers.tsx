import { Box, Text } from 'ink';
import { useView } from '../context.js';
import { bar, pad, since, tokens } from '../format.js';
import type { TuiState } from '../store.js';
import { WORKER_COLOR, tint } from '../theme.js';

const select = (s: TuiState) => ({ workers: s.view.workers, now: s.now, color: s.color });

/** One row per worker: role (agent), state, progress, tokens/cost, time since it last said something, task. */
export function Workers() {
  const { workers, now, color } = useView(select);
  if (workers.length === 0) return <Text dimColor>no workers yet</Text>;
  return (
    <Box flexDirection="column">
      {workers.map((w) => (
        <Text key={w.id} wrap="truncate">
          <Text bold>{pad(`${w.role}(${w.agent})`, 20)} </Text>
          <Text color={tint(color, WORKER_COLOR[w.phase])}>{pad(w.phase, 10)} </Text>
          {bar(w.progress)} {pad(`${w.progress}%`, 4)} {pad(tokens(w.usage), 20)} <Text dimColor>{pad(since(w.lastActivityAt, now), 6)}</Text> {w.task ?? ''}
          {w.activity ? <Text dimColor> · {w.activity}</Text> : null}
        </Text>
      ))}
    </Box>
  );
}
