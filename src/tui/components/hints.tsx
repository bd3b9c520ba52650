import { Text } from 'ink';
import { useView } from '../context.js';
import type { TuiState } from '../store.js';

const select = (s: TuiState) => s.readOnly;

/** The keys; controls are left out when this UI cannot act on the session. */
export function Hints() {
  const readOnly = useView(select);
  return (
    <Text dimColor wrap="truncate">
      {readOnly === undefined ? 'p pause · r resume · s stop · v review · c clarify · a approve · x reject · ' : `read-only (${readOnly}) · `}/ filter · tab agent · t type · ↑↓ scroll · q quit
    </Text>
  );
}
