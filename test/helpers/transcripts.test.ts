import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_TRANSCRIPTS_DIR, TRANSCRIPTS_DIR, listScenarios } from './transcripts.js';

describe('recorded transcripts', () => {
  it('has every scenario of every CLI', () => {
    const count = (['claude', 'codex', 'gemini'] as const).reduce((n, cli) => n + listScenarios(cli).length, 0);
    expect(count).toBe(76);
  });

  // The copies must stay unedited: when the shared originals are beside the repo, compare bytes.
  it.runIf(existsSync(SHARED_TRANSCRIPTS_DIR))('are byte-identical to the shared originals', () => {
    for (const cli of ['claude', 'codex', 'gemini']) {
      for (const file of readdirSync(join(TRANSCRIPTS_DIR, cli))) {
        const copy = readFileSync(join(TRANSCRIPTS_DIR, cli, file));
        const original = readFileSync(join(SHARED_TRANSCRIPTS_DIR, cli, file));
        expect(copy.equals(original), `${cli}/${file}`).toBe(true);
      }
    }
  });
});
