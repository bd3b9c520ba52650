import { Box, Text } from 'ink';
import { useView } from '../context.js';
import type { TuiState } from '../store.js';
import { ACTION_COLOR, VERDICT_COLOR, tint } from '../theme.js';

const SHOWN = 3;
const select = (s: TuiState) => ({ reviews: s.view.reviews.slice(-SHOWN), color: s.color });

/** The latest reviews: who said what, and what the policy decided. */
export function Reviews() {
  const { reviews, color } = useView(select);
  if (reviews.length === 0) return <Text dimColor>no reviews yet</Text>;
  return (
    <Box flexDirection="column">
      {reviews.map((r) => (
        <Text key={r.reviewId} wrap="truncate">
          <Text bold>{r.reviewId}</Text>
          {r.trigger ? <Text dimColor> {`${r.trigger}→${r.subject ?? '?'}`}</Text> : null}
          {r.status === 'running' ? <Text color={tint(color, 'cyan')}> in progress</Text> : null}
          {r.verdicts.map((v) => (
            <Text key={v.reviewer} color={tint(color, VERDICT_COLOR[v.verdict] ?? 'white')}>
              {` ${v.reviewer}=${v.verdict}${v.outcome === 'answered' ? '' : `(${v.outcome})`}`}
            </Text>
          ))}
          {r.action ? <Text bold color={tint(color, ACTION_COLOR[r.action] ?? 'white')}>{` → ${r.action}`}</Text> : null}
          {r.reasons.length > 0 ? <Text dimColor>{` · ${r.reasons.join('; ')}`}</Text> : null}
        </Text>
      ))}
    </Box>
  );
}
