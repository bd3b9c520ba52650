import type { Logger } from 'pino';
import { answerFile, pendingRequests, writeJsonAtomic, type ConfirmationAnswer, type ConfirmationRequest } from '../safety/confirmations.js';
import type { SessionRecorder } from './recorder.js';

const POLL_MS = 250;

/**
 * The orchestrator's side of confirmations: it notices the guard's requests in the session's
 * `confirmations/` folder, records each as a `confirmation.requested` entry (the terminal UI and
 * the dashboard show it), and writes the user's answer (`confirmation.answered`). When nobody can
 * be asked (an unattended run), `autoReject` answers every request at once.
 */
export class SessionConfirmations {
  /** Set when nobody can answer: the reason every request is rejected with. */
  autoReject: string | undefined;
  private readonly announced = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    private readonly recorder: SessionRecorder,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  pending(): ConfirmationRequest[] {
    return pendingRequests(this.dir);
  }

  /** Answers one pending request; false when there is no such request or it was answered already. */
  answer(id: string, approve: boolean, reason?: string, by: ConfirmationAnswer['by'] = 'user'): boolean {
    const request = this.pending().find((r) => r.id === id);
    if (!request) return false;
    const answer: ConfirmationAnswer = { id, approve, ...(reason ? { reason } : {}), by, at: new Date().toISOString() };
    writeJsonAtomic(answerFile(this.dir, id), answer);
    const verdict = approve ? 'approved' : 'rejected';
    this.recorder.note('confirmation.answered', { text: `${request.tool} ${verdict} by ${by}: ${request.subject}${reason ? ` (${reason})` : ''}`, ...answer, tool: request.tool, subject: request.subject });
    return true;
  }

  private poll(): void {
    let pending: ConfirmationRequest[];
    try {
      pending = this.pending();
    } catch (error) {
      this.log.error({ err: error }, 'the confirmations folder could not be read');
      return;
    }
    for (const request of pending) {
      if (this.announced.has(request.id)) continue;
      this.announced.add(request.id);
      this.recorder.note('confirmation.requested', { text: `${request.tool} needs confirmation: ${request.subject} (${request.reason})`, ...request });
      if (this.autoReject !== undefined) this.answer(request.id, false, this.autoReject, 'orchestrate');
    }
  }
}
