// The Workloads page in Chromium: served before the wasm loads, hydrated, and live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { api, startRota } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

async function rowStatus(page, name) {
  return page.locator(`tr[data-workload="${name}"] td.status`).textContent({ timeout: 15_000 });
}

test('the Workloads page hydrates, updates without a reload, and filters in the browser', async () => {
  const rota = await startRota();
  try {
    const page = await rota.browser.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));

    // Server-rendered: readable before any wasm runs.
    const html = await (await fetch(`${rota.base}/workloads`)).text();
    assert.match(html, /<h1>Workloads<\/h1>/);
    assert.match(html, /No workloads yet/);

    await page.goto(`${rota.base}/workloads`);
    await page.waitForLoadState('networkidle');

    // The walkthrough's first step, from the API; the open page picks it up on its own.
    const client = await api(rota.base);
    await client.submitTraining('a2', 'team-a', 2);
    await client.submitTraining('a1', 'team-a', 1);
    await client.submitTraining('b1', 'team-b', 1);
    for (const name of ['a2', 'a1', 'b1']) {
      await page.locator(`tr[data-workload="${name}"] td.status:text("Running")`).waitFor({ timeout: 15_000 });
    }
    await page.screenshot({ path: `${ARTIFACTS}workloads-running.png`, fullPage: true });

    await client.submitTraining('b2', 'team-b', 1);
    await page.locator('tr[data-workload="a1"] td.status:text("Pending")').waitFor({ timeout: 15_000 });
    assert.equal(await rowStatus(page, 'b2'), 'Running');
    const a1 = page.locator('tr[data-workload="a1"]');
    assert.equal(await a1.locator('td').nth(4).textContent(), '0/1');
    assert.equal(await a1.locator('td').nth(5).textContent(), '0.00');
    await page.screenshot({ path: `${ARTIFACTS}workloads-a1-preempted.png`, fullPage: true });

    // Hydrated: the project filter works in the browser.
    await page.selectOption('select[name="project"]', 'team-b');
    await page.locator('tr[data-workload="a2"]').waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await page.locator('tbody tr').count(), 2);
    await page.selectOption('select[name="project"]', '');
    await page.locator('tr[data-workload="a2"]').waitFor({ timeout: 5_000 });

    assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});
