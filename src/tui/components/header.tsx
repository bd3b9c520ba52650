import { Box, Text } from 'ink';
import { useView } from '../context.js';
import { since, tokens } from '../format.js';
import type { TuiState } from '../store.js';
import { PHASE_COLOR, tint } from '../theme.js';
import { ZERO_USAGE, addUsage } from '../../view/index.js';

const select = (s: TuiState) => ({
  id: s.view.sessionId,
  task: s.view.task,
  state: s.view.state,
  phase: s.view.phase,
  tier: s.view.tier,
  tierReason: s.view.tierReason,
  total: Object.values(s.view.usage).reduce(addUsage, ZERO_USAGE),
  elapsed: since(s.view.startedAt, s.now),
  current: s.view.currentTask,
  readOnly: s.readOnly,
  color: s.color,
});

/** Session id, phase and state, tier, the task and the plan step, total tokens. */
export function Header() {
  const h = useView(select);
  return (
    <Box flexDirection="column">
      <Box gap={1}>
        <Text bold>orchestrate</Text>
        <Text>{h.id}</Text>
        <Text color={tint(h.color, PHASE_COLOR[h.phase] ?? 'white')} bold>
          {h.state}
        </Text>
        <Text>tier {h.tier ?? '?'}</Text>
        <Text dimColor>
          {h.elapsed} · {tokens(h.total)}
        </Text>
        {h.readOnly !== undefined ? <Text color={tint(h.color, 'yellow')}>[read-only]</Text> : null}
      </Box>
      <Text wrap="truncate">
        task: {h.task ?? '?'}
        {h.current ? `  ·  step ${h.current.index + 1}/${h.current.total}: ${h.current.id} ${h.current.title}` : ''}
      </Text>
      {h.tierReason ? (
        <Text dimColor wrap="truncate">
          {h.tierReason}
        </Text>
      ) : null}
    </Box>
  );
}
