// The Overview: an admin's first page after signing in; SVG charts drawn on the server, each
// line patterned and named, the numbers in a table beside each chart; it follows the cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { ADMIN_PASSWORD, api, startRota, watchErrors } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

test('an admin lands on the Overview and sees the cluster and each project over time', async () => {
  // The loop saves the history every second here (30 s by default).
  const rota = await startRota({ env: { ROTA_USAGE_SAVE_SECS: '1' } });
  try {
    const client = await api(rota.base);
    await client.submitTraining('a1', 'team-a', 2);
    await client.submitTraining('a2', 'team-a', 1);
    await client.submitTraining('b1', 'team-b', 1);
    await client.submitTraining('a3', 'team-a', 1);
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${rota.base}/signin`);
    await page.waitForLoadState('networkidle');
    await page.fill('input[name="username"]', 'admin');
    await page.fill('input[name="password"]', ADMIN_PASSWORD);
    await page.click('button[type="submit"]:text("Sign in")');
    await page.waitForURL(/\/overview$/);
    await page.locator('h1:text("Overview")').waitFor();

    // The cluster's chart: an SVG drawn on the server, its lines named, its numbers beside it.
    const cluster = page.locator('figure[data-chart="cluster"]');
    await cluster.locator('svg.chart polyline').first().waitFor({ state: 'attached', timeout: 20_000 });
    assert.equal(await cluster.locator('svg.chart').getAttribute('role'), 'img');
    // Averages over the minute so far (the first seconds had nothing running): named lines.
    await cluster.locator('svg text.label-0').filter({ hasText: /^allocated \d/ }).waitFor();
    await cluster.locator('svg text.label-1').filter({ hasText: /^idle \d/ }).waitFor();
    assert.equal(await cluster.locator('svg polyline[stroke-dasharray]').count() > 0, true, 'idle is dashed');
    const heads = await cluster.locator('table thead th').allTextContents();
    assert.deepEqual(heads, ['time', 'allocated', 'idle', 'GPUs']);
    const newest = cluster.locator('table tbody tr').first().locator('td');
    assert.match(await newest.nth(0).textContent(), /^\d\d:\d\d UTC$/);
    assert.equal(await newest.nth(3).textContent(), '4.0');
    const allocated = Number(await newest.nth(1).textContent());
    assert.ok(allocated > 0 && allocated <= 4, `allocated ${allocated}`);

    // a3 waits: the pending chart says so.
    const pending = page.locator('figure[data-chart="pending"]');
    await pending.locator('svg text.label-0').filter({ hasText: /^pending \d/ }).waitFor({ timeout: 20_000 });
    await pending.locator('svg text.label-1').filter({ hasText: /^longest wait \d/ }).waitFor();

    // Each project against its deserved quota and fair share, dashed and dotted.
    const teamA = page.locator('figure[data-chart="pool-default-team-a"]');
    await teamA.locator('svg text:text("deserved 2")').waitFor({ timeout: 20_000 });
    await teamA.locator('svg text.label-0').filter({ hasText: /^allocated \d/ }).waitFor();
    await teamA.locator('svg text.label-2').filter({ hasText: /^fair share \d/ }).waitFor();
    assert.equal(await teamA.locator('svg polyline[stroke-dasharray="2 3"]').count() > 0, true, 'fair share is dotted');
    await page.locator('figure[data-chart="pool-default-team-b"]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}overview-hour.png`, fullPage: true });

    // Live: a1 ends, and the numbers follow without a reload.
    const before = await cluster.locator('table tbody').textContent();
    await client.deleteTraining('team-a', 'a1');
    await page.waitForFunction(
      (was) => document.querySelector('figure[data-chart="cluster"] table tbody').textContent !== was,
      before,
      { timeout: 60_000 },
    );

    // The day and the week, by the hour.
    await page.click('nav.ranges a:text("Last week")');
    await page.waitForURL(/range=week/);
    await page.locator('figure[data-chart="cluster"] svg text:text("-7 d")').waitFor({ timeout: 20_000 });
    assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});
