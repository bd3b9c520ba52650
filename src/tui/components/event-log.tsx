import { Box, Text } from 'ink';
import { useView } from '../context.js';
import { hhmmss, pad } from '../format.js';
import type { TuiState } from '../store.js';
import { MAX_SUGGESTIONS, tint } from '../theme.js';
import { describeFilter, matchesFilter, type LogLine } from '../../view/index.js';

/** Rows the prompt area takes (see Prompt): a framed box when the session waits, else up to two lines. */
function promptRows(s: TuiState): number {
  const p = s.view.prompt;
  const message = s.ui.message ? 1 : 0;
  if (p?.kind === 'escalation') return 4 + Math.min(MAX_SUGGESTIONS, p.suggestions.length) + message;
  if (p) return 4 + message;
  return (s.ui.mode.kind !== 'normal' || s.view.ended ? 1 : 0) + message;
}

/**
 * Rows the rest of the screen takes: header (3), three margins, workers, reviews, the log title,
 * the prompt, the key hints, and one spare line, so the frame never reaches the terminal's last
 * row (Ink then redraws the whole screen on every update).
 */
const fixedRows = (s: TuiState): number => 3 + 3 + Math.max(1, s.view.workers.length) + Math.min(3, Math.max(1, s.view.reviews.length)) + 1 + promptRows(s) + 1 + 1;

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
