import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { awaitAnswer, newConfirmationId, readAnswer, writeRequest, type ConfirmationRequest } from '../../src/safety/confirmations.js';
import { SessionConfirmations } from '../../src/runtime/confirmations.js';
import type { SessionRecorder } from '../../src/runtime/recorder.js';
import { tempDir } from '../helpers/fake-agents.js';

function recorder() {
  const notes: { type: string; payload: Record<string, unknown> }[] = [];
  return { notes, recorder: { note: (type: string, payload: Record<string, unknown>) => notes.push({ type, payload }) } as unknown as SessionRecorder };
}

const request = (id: string): ConfirmationRequest => ({ id, at: new Date().toISOString(), tool: 'Bash', subject: 'git push origin main', reason: 'git push needs confirmation', cli: 'claude', cwd: '/repo' });
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
};

describe('SessionConfirmations', () => {
  it('announces a request once, answers it, and the waiting guard sees the answer', async () => {
    const dir = join(tempDir('confirm-'), 'confirmations');
    const { notes, recorder: rec } = recorder();
    const c = new SessionConfirmations(dir, rec, pino({ enabled: false }));
    c.start();
    try {
      const id = newConfirmationId();
      writeRequest(dir, request(id));
      await until(() => notes.length > 0);
      expect(notes).toEqual([{ type: 'confirmation.requested', payload: expect.objectContaining({ id, subject: 'git push origin main' }) as unknown }]);
      expect(c.pending().map((r) => r.id)).toEqual([id]);
      const waiting = awaitAnswer(dir, id, 5_000, 20);
      expect(c.answer(id, true)).toBe(true);
      await expect(waiting).resolves.toMatchObject({ kind: 'answered', answer: { approve: true, by: 'user' } });
      expect(c.answer(id, false)).toBe(false);
      expect(c.pending()).toEqual([]);
      expect(notes.map((n) => n.type)).toEqual(['confirmation.requested', 'confirmation.answered']);
    } finally {
      c.stop();
    }
  });

  it('with nobody to ask, every request is rejected at once with the reason', async () => {
    const dir = join(tempDir('confirm-'), 'confirmations');
    const { notes, recorder: rec } = recorder();
    const c = new SessionConfirmations(dir, rec, pino({ enabled: false }));
    c.autoReject = 'nobody can confirm it in this run';
    c.start();
    try {
      writeRequest(dir, request('c-auto'));
      await until(() => existsSync(join(dir, 'c-auto.answer.json')));
      expect(readAnswer(dir, 'c-auto')).toMatchObject({ approve: false, by: 'orchestrate', reason: 'nobody can confirm it in this run' });
      expect(notes.at(-1)?.type).toBe('confirmation.answered');
    } finally {
      c.stop();
    }
  });

  it('a guard that gets no answer times out', async () => {
    const dir = join(tempDir('confirm-'), 'confirmations');
    writeRequest(dir, request('c-late'));
    await expect(awaitAnswer(dir, 'c-late', 100, 20)).resolves.toEqual({ kind: 'timeout' });
  });
});
