import { Box, Text } from 'ink';
import { useView } from '../context.js';
import type { TuiState } from '../store.js';
import { MAX_SUGGESTIONS, tint } from '../theme.js';

const select = (s: TuiState) => ({ mode: s.ui.mode, message: s.ui.message, prompt: s.view.prompt, held: s.view.confirmations[0], waiting: s.view.confirmations.length, ended: s.view.ended, phase: s.view.phase, readOnly: s.readOnly, color: s.color });

/** What the session asks (escalation, question, pause) and what the UI asks (confirmations, text entry). */
export function Prompt() {
  const { mode, message, prompt, held, waiting, ended, phase, readOnly, color } = useView(select);
  const ask = (text: string) => (
    <Text bold color={tint(color, 'yellow')}>
      {text}
    </Text>
  );
  let body;
  if (mode.kind === 'filter') body = <Text>/ {mode.text}▌ (agent:NAME type:TYPE words · Enter apply · Esc cancel)</Text>;
  else if (mode.kind === 'answer') body = <Text>your answer: {mode.text}▌ (Enter send · Esc cancel)</Text>;
  else if (mode.kind === 'confirmStop') body = ask('Stop the session? Agents are stopped. (y/n)');
  else if (mode.kind === 'confirmQuit') body = ask('The session is still running and ends with this process: stop it and quit? (y/n)');
  else if (ended) body = <Text bold>session {phase} · q to quit</Text>;
  if (held) {
    return (
      <Box flexDirection="column" borderStyle="round" borderColor={tint(color, 'yellow')}>
        <Text bold color={tint(color, 'yellow')} wrap="truncate">
          CONFIRM{waiting > 1 ? ` (1 of ${waiting})` : ''}: {held.tool}: {held.subject}
        </Text>
        <Text wrap="truncate">{held.reason}</Text>
        {body ?? <Text>{readOnly !== undefined ? '' : 'a approve · x reject'}</Text>}
        {message ? <Text dimColor>{message}</Text> : null}
      </Box>
    );
  }
  if (prompt?.kind === 'escalation') {
    const keys = readOnly !== undefined ? '' : `a approve · x reject${prompt.acceptsClarification ? ' · c answer' : ''}`;
    return (
      <Box flexDirection="column" borderStyle="round" borderColor={tint(color, 'red')}>
        <Text bold color={tint(color, 'red')} wrap="truncate">
          ESCALATED: {prompt.reason}
        </Text>
        {prompt.suggestions.slice(0, MAX_SUGGESTIONS).map((s) => (
          <Text key={s} wrap="truncate">
            {'  '}- {s}
          </Text>
        ))}
        {body ?? <Text>{keys}</Text>}
        {message ? <Text dimColor>{message}</Text> : null}
      </Box>
    );
  }
  if (prompt?.kind === 'clarification' || prompt?.kind === 'paused') {
    const head = prompt.kind === 'clarification' ? `QUESTION: ${prompt.question}` : `PAUSED${prompt.reason ? `: ${prompt.reason}` : ''}`;
    const keys = readOnly !== undefined ? '' : prompt.kind === 'clarification' ? 'c answer' : 'r resume';
    return (
      <Box flexDirection="column" borderStyle="round" borderColor={tint(color, 'yellow')}>
        <Text bold color={tint(color, 'yellow')} wrap="truncate">
          {head}
        </Text>
        {body ?? <Text>{keys}</Text>}
        {message ? <Text dimColor>{message}</Text> : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      {body ?? null}
      {message ? <Text dimColor>{message}</Text> : null}
    </Box>
  );
}
