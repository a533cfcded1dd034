// The Workloads page in Chromium: served before the wasm loads, hydrated, live, filtered,
// searched and sorted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { api, signIn, startRota, watchErrors } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

test('the Workloads page reads fine before hydration, then follows the cluster live and filters', async () => {
  const rota = await startRota();
  try {
    // Server-rendered, signed out: the sign-in form, readable before any wasm runs.
    const signedOut = await (await fetch(`${rota.base}/workloads`)).text();
    assert.match(signedOut, /Sign in to Rota/);

    // The bundle goes out compressed to a browser that asks.
    const wasm = await fetch(`${rota.base}/pkg/rota.wasm`, { headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-encoding'), 'br');

    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    await signIn(page, rota.base);
    await page.waitForURL(/\/workloads$/);

    // Server-rendered, signed in (the session cookie): the table's empty state.
    const cookies = await rota.browser.cookies(rota.base);
    const session = cookies.find((c) => c.name === 'rota_session');
    assert.ok(session && session.httpOnly, 'the session cookie is HttpOnly');
    const html = await (await fetch(`${rota.base}/workloads`, {
      headers: { cookie: `rota_session=${session.value}` },
    })).text();
    assert.match(html, /<h1>Workloads<\/h1>/);
    assert.match(html, /No workloads yet/);

    const client = await api(rota.base);
    await client.submitTraining('a2', 'team-a', 2);
    await client.submitTraining('a1', 'team-a', 1);
    await client.submitTraining('b1', 'team-b', 1);
    for (const name of ['a2', 'a1', 'b1']) {
      await page.locator(`tr[data-workload="${name}"] td.status:text("Running")`).waitFor({ timeout: 15_000 });
    }
    await client.submitTraining('b2', 'team-b', 1);
    await page.locator('tr[data-workload="a1"] td.status:text("Pending")').waitFor({ timeout: 15_000 });
    const a1 = page.locator('tr[data-workload="a1"]');
    assert.equal(await a1.locator('td').nth(4).textContent(), 'low (preemptible)');
    assert.equal(await a1.locator('td').nth(5).textContent(), '0/1');
    assert.equal(await a1.locator('td').nth(6).textContent(), '0.00');
    assert.match(await a1.locator('td.waiting').textContent(), /^\d+ s$/);

    // Filters live in the address and narrow the rows on the server.
    await page.selectOption('select[name="project"]', 'team-b');
    await page.waitForURL(/project=team-b/);
    await page.locator('tr[data-workload="a2"]').waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await page.locator('tbody tr').count(), 2);
    await page.selectOption('select[name="project"]', '');
    await page.selectOption('select[name="status"]', 'Pending');
    await page.locator('tr[data-workload="a2"]').waitFor({ state: 'detached', timeout: 5_000 });
    assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.workload)), ['a1']);
    await page.selectOption('select[name="status"]', '');
    await page.fill('input[name="search"]', 'b');
    await page.locator('tr[data-workload="a1"]').waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await page.locator('tbody tr').count(), 2);
    await page.fill('input[name="search"]', '');
    await page.locator('tr[data-workload="a1"]').waitFor({ timeout: 5_000 });

    // Sorting by name, then the other way round.
    await page.click('th a:text("Workload")');
    await page.waitForURL(/sort=name/);
    const names = () => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.workload));
    await page.waitForFunction(() => document.querySelector('tbody tr')?.dataset.workload === 'a1');
    assert.deepEqual(await names(), ['a1', 'a2', 'b1', 'b2']);
    await page.click('th a:text("Workload")');
    await page.waitForFunction(() => document.querySelector('tbody tr')?.dataset.workload === 'b2');
    assert.deepEqual(await names(), ['b2', 'b1', 'a2', 'a1']);

    // A workload's page: why it waits and what happened to it; then delete it.
    await page.click('tr[data-workload="a1"] a');
    await page.locator('h1:text("a1")').waitFor();
    assert.match(await page.locator('.reason').textContent(), /Why it waits/);
    const events = await page.locator('tr[data-event]').evaluateAll((rows) => rows.map((r) => r.dataset.event));
    assert.deepEqual(events.slice(0, 4), ['Submitted', 'Scheduled', 'Running', 'Preempted']);
    assert.match(await page.locator('tr[data-event="Preempted"]').textContent(), /b2/);
    await page.screenshot({ path: `${ARTIFACTS}workload-a1-preempted.png`, fullPage: true });
    await page.click('button:text("Delete")');
    await page.waitForURL(/\/workloads$/);
    await page.locator('tr[data-workload="a1"]').waitFor({ state: 'detached', timeout: 5_000 });

    // The Nodes page: which workload holds each GPU.
    await page.click('nav a:text("Nodes")');
    await page.locator('[data-node="node-1"]').waitFor();
    const holders = await page.locator('.holder').evaluateAll((hs) => hs.map((h) => h.dataset.holder).sort());
    assert.deepEqual(holders, ['a2', 'a2', 'b1', 'b2']);

    assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});
