/**
 * Why a store could not be used, as a value callers can switch on:
 * - `corrupt`: not an orchestrate store; `too_new`: written by a newer orchestrate;
 * - `io`: cannot be opened or reached (file, network, server down);
 * - `fenced`: this process no longer holds the session's lease (a newer epoch does), so its
 *   write was refused — another orchestrator has taken the session over;
 * - `config`: the store address itself is wrong.
 */
export type StoreErrorKind = 'corrupt' | 'too_new' | 'io' | 'fenced' | 'config';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
  }
}
