import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { happyRules, verdict } from '../helpers/session-fixture.js';
import { browserAndSession, liveSession, slowRules, until } from './server-helpers.js';

describe('the dashboard in a real Chromium during a fake-agent session', () => {
  const suite = browserAndSession(slowRules(250));

  it('shows workers and events live, pauses and resumes the session, shows the statechart, and says when it is disconnected', async () => {
    const page = await suite.browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // The printed URL: its token becomes a cookie and leaves the address bar.
    await page.goto(suite.live.server.url);
    expect(new URL(page.url()).search).toBe('');
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();

    // Live: the architect appears, then the implementer, and the log grows while we watch.
    await page.locator('[data-worker="architect"]').waitFor();
    const countNow = async () => page.locator('[data-testid="events"] li').count();
    const before = await countNow();
    await page.locator('[data-worker="implementer"]').waitFor({ timeout: 20_000 });
    expect(await until(async () => (await countNow()) > before)).toBe(true);
    expect(await page.locator('[data-worker="implementer"] [data-testid="worker-status"]').textContent()).toMatch(/running|launching|exited/);
    expect(await page.locator('[data-testid="statechart"] .state.active[data-state="session.implementing"]').count()).toBe(1);

    // Pause: the session reacts (its statechart is in `paused`), the page shows it.
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('session-state').filter({ hasText: /^paused$/ }).waitFor();
    expect(suite.live.handle.actor.getSnapshot().value).toBe('paused');
    await page.getByTestId('inbox').filter({ hasText: 'Paused' }).waitFor();
    expect(await page.locator('[data-testid="statechart"] .state.active[data-state="session.paused"]').count()).toBe(1);
    const controls = await page.locator('[data-testid="events"] li.t-control').count();
    expect(controls).toBe(1);

    // Resume: it goes on implementing.
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('session-state').filter({ hasText: /^implementing/ }).waitFor();
    expect(suite.live.handle.actor.getSnapshot().matches('implementing')).toBe(true);
    await page.getByTestId('inbox').waitFor({ state: 'hidden' });

    // The rest of the run shows up too: reviews with verdicts and the final state.
    const summary = await suite.live.handle.settled();
    expect(summary.state).toBe('completed');
    await page.getByTestId('session-state').filter({ hasText: /^completed$/ }).waitFor();
    await page.getByTestId('reviews').filter({ hasText: 'codex: approved' }).first().waitFor();
    // Every entry but the statechart transitions (the inspector's), which the type filter still shows.
    const entries = suite.live.store.read(suite.live.handle.sessionId, { limit: 100_000 });
    const transitions = entries.filter((e) => e.type === 'machine.transition').length;
    expect(transitions).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="events"] li').count()).toBe(entries.length - transitions);
    await page.selectOption('#filter-type', 'machine.transition');
    expect(await until(async () => (await page.locator('[data-testid="events"] li').count()) === transitions)).toBe(true);
    await page.selectOption('#filter-type', '');

    // Filters: only one agent's events, then a search.
    await page.selectOption('#filter-agent', 'claude');
    const claudeOnly = await page.locator('[data-testid="events"] li').allTextContents();
    expect(claudeOnly.length).toBeGreaterThan(0);
    expect(claudeOnly.every((l) => l.includes('(claude)'))).toBe(true);
    await page.selectOption('#filter-agent', '');
    await page.fill('#filter-text', 'greet.test.js');
    expect(await until(async () => (await page.locator('[data-testid="events"] li').count()) < claudeOnly.length + 50)).toBe(true);

    const shot = join(suite.live.fixture.dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    process.stdout.write(`dashboard screenshot: ${shot}\n`);

    // The server goes away: the page says so (and keeps trying).
    await suite.live.server.close();
    await page.getByTestId('connection').filter({ hasText: /disconnected/ }).waitFor();
    expect(problems).toEqual([]);
  }, 120_000);

  it('the escalation inbox shows why the session waits; Approve on the page lets it go on', async () => {
    const escalating = await liveSession([{ match: { kind: 'review', cli: 'codex', promptIncludes: 'architect' }, times: 1, respond: verdict('blocker', 'The plan deletes the README.') }, ...happyRules()]);
    try {
      const page = await suite.browser.newPage({ viewport: { width: 1280, height: 1000 } });
      await page.goto(escalating.server.url);
      await page.getByTestId('inbox').filter({ hasText: 'Escalated' }).waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('inbox').textContent()).toMatch(/blocker/);
      await page.getByTestId('reviews').filter({ hasText: 'codex: blocker — The plan deletes the README.' }).waitFor();
      expect(await page.getByRole('button', { name: 'Approve' }).isVisible()).toBe(true);
      await page.screenshot({ path: join(escalating.fixture.dir, 'escalated.png') });
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByTestId('session-state').filter({ hasText: /^completed$/ }).waitFor({ timeout: 60_000 });
      await page.getByTestId('inbox').waitFor({ state: 'hidden' });
      expect(escalating.store.records(escalating.handle.sessionId, 'control').map((e) => e.payload.text)).toEqual(['user.approve']);
      process.stdout.write(`escalation screenshot: ${join(escalating.fixture.dir, 'escalated.png')}\n`);
    } finally {
      await escalating.close();
    }
  }, 120_000);
});
