import { Box, Text } from 'ink';
import { useView } from '../context.js';
import { hhmmss, pad } from '../format.js';
import type { TuiState } from '../store.js';
import { tint } from '../theme.js';
import { describeFilter, matchesFilter, type LogLine } from '../../view/index.js';

/** Rows the rest of the screen takes: header, workers, reviews, prompt, hints, titles. */
const fixedRows = (s: TuiState): number => 12 + Math.max(1, s.view.workers.length) + Math.min(3, Math.max(1, s.view.reviews.length));

const TYPE_COLOR: Record<string, string> = { error: 'red', blocker: 'red', milestone: 'green', finding: 'yellow', review: 'magenta', task: 'cyan' };

function select(s: TuiState) {
  const height = Math.max(3, s.rows - fixedRows(s));
  const lines = s.view.log.filter((l) => matchesFilter(l, s.ui.filter));
  const end = Math.max(0, lines.length - s.ui.scroll);
  return { lines: lines.slice(Math.max(0, end - height), end), filter: describeFilter(s.ui.filter), scroll: s.ui.scroll, color: s.color };
}

const who = (l: LogLine): string => (l.agent === 'orchestrate' ? 'orchestrate' : `${l.workerId}(${l.agent})`);

/** The newest log lines that pass the filter; ↑/↓ scroll back. */
export function EventLog() {
  const { lines, filter, scroll, color } = useView(select);
  return (
    <Box flexDirection="column">
      <Text dimColor>
        ─ events{filter ? ` [filter: ${filter}]` : ''}
        {scroll > 0 ? ` [scrolled back ${scroll}]` : ''}
      </Text>
      {lines.map((l) => (
        <Text key={l.seq} wrap="truncate">
          <Text dimColor>{hhmmss(l.at)} </Text>
          <Text>{pad(who(l), 22)} </Text>
          <Text color={tint(color, TYPE_COLOR[l.type] ?? 'white')}>{pad(l.kind ?? l.type, 18)} </Text>
          <Text>{l.text}</Text>
        </Text>
      ))}
    </Box>
  );
}
