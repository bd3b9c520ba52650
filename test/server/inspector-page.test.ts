import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserAndSession, slowRules } from './server-helpers.js';

const active = (page: Page, id: string) => page.locator(`[data-testid="inspector-chart"] .state.active[data-state="${id}"]`);

describe('the statechart inspector page in a real Chromium during a fake-agent session', () => {
  const suite = browserAndSession(slowRules(250));

  it('draws the live actor tree and statecharts, streams inspection records, and steps back through the recorded transitions', async () => {
    const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1200 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const id = suite.live.handle.sessionId;
    await page.goto(`${suite.live.server.url.replace('/?', '/inspect?')}&session=${id}`);
    // The token became a cookie; the session choice stayed in the address.
    expect(new URL(page.url()).search).toBe(`?session=${id}`);

    // Live: following the session, the chart shows where it is now, the tree who runs.
    await active(page, 'session.implementing.working').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="actors"] [data-actor="session/implementer"]').waitFor();
    expect(await page.locator('[data-testid="actors"] [data-actor="session/implementer/proc-1"]').count()).toBe(1);
    await page.locator('[data-testid="records"] li').nth(5).waitFor({ timeout: 10_000 });

    // The implementer's own statechart, by clicking it in the tree.
    await page.locator('[data-actor-button="session/implementer"]').click();
    await page.getByRole('heading', { name: /^session\/implementer \(worker\)/ }).waitFor();
    expect(await page.locator('[data-testid="inspector-chart"] svg [data-state="worker.recovering"]').count()).toBe(1);

    // The session ends; the page follows it to the last transition.
    expect((await suite.live.handle.settled()).state).toBe('completed');
    await page.locator('[data-actor-button="session"]').click();
    await active(page, 'session.completed').waitFor({ timeout: 10_000 });
    const info = (await page.getByTestId('step-info').textContent()) ?? '';
    const [step, total] = (/^(\d+)\/(\d+)/.exec(info) ?? []).slice(1).map(Number);
    expect(step).toBe(total);

    // Time travel: back to the start, then forward until the architect is working.
    await page.getByTitle('before the first transition').click();
    expect(await page.getByTestId('step-info').textContent()).toMatch(/^before the first of \d+ transitions/);
    expect(await page.locator('[data-testid="actors"] [data-actor]').count()).toBe(0);
    for (let i = 0; i < 40 && (await active(page, 'session.planning.working').count()) === 0; i++) await page.keyboard.press('ArrowRight');
    expect(await active(page, 'session.planning.working').count()).toBe(1);
    expect(await active(page, 'session.planning').count()).toBe(1);
    expect(await active(page, 'session.completed').count()).toBe(0);
    await page.locator('[data-actor-button="session/architect"]').waitFor();
    // Stepping back stops following: new transitions do not pull the view forward.
    expect(await page.locator('#follow').isChecked()).toBe(false);
    expect(problems).toEqual([]);
  }, 90_000);
});
