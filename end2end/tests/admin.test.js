// Admins and researchers: a quota edit on the Projects page changes what the scheduler does; a
// researcher cannot open admin pages nor submit into another team's project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, signIn, startRota, watchErrors } from './support.js';

test('an admin quota edit changes scheduling in the next cycle', async () => {
  const rota = await startRota();
  try {
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    const client = await api(rota.base);
    // team-a runs on all 4 GPUs: 2 within its deserved quota, 2 over it.
    for (const name of ['a1', 'a2', 'a3', 'a4']) await client.submitTraining(name, 'team-a', 1);
    await signIn(page, rota.base);
    // Loaded whole (server-rendered, then hydrated): the fields hold the stored quota.
    await page.goto(`${rota.base}/projects`);
    await page.waitForLoadState('networkidle');
    const teamA = page.locator('form[data-unit="team-a"]');
    await teamA.waitFor();
    assert.equal(await teamA.locator('input[name="deserved"]').inputValue(), '2');
    assert.equal(await teamA.locator('input[name="weight"]').inputValue(), '1');
    assert.equal(await teamA.locator('input[name="rank"]').inputValue(), '100');
    // The bar's figures follow the cluster: team-a holds 4 GPUs.
    await teamA.locator('[data-allocated="4.00"]').waitFor({ timeout: 15_000 });

    // team-a now deserves all 4 GPUs and team-b none: team-b can no longer reclaim.
    await teamA.locator('input[name="deserved"]').fill('4');
    await teamA.locator('button:text("Save")').click();
    await teamA.locator('.ok').waitFor();
    // Minimum runtimes: checked as typed, stored when saved.
    await teamA.locator('input[name="reclaimMinRuntime"]').fill('soon');
    await teamA.locator('.error:text("reclaimMinRuntime")').waitFor();
    assert.equal(await teamA.locator('button:text("Save")').isDisabled(), true);
    await teamA.locator('input[name="reclaimMinRuntime"]').fill('90m');
    await teamA.locator('button:text("Save")').click();
    for (let i = 0; (await client.project('team-a')).reclaimMinRuntime !== '1h30m'; i++) {
      assert.ok(i < 100, `never stored: ${JSON.stringify(await client.project('team-a'))}`);
      await page.waitForTimeout(100);
    }
    assert.equal((await client.project('team-a')).preemptMinRuntime, undefined);
    const teamB = page.locator('form[data-unit="team-b"]');
    await teamB.locator('input[name="deserved"]').fill('0');
    await teamB.locator('button:text("Save")').click();
    await teamB.locator('.ok').waitFor();
    await teamA.locator('[data-fair-share="4.00"]').waitFor({ timeout: 15_000 });

    // A refused edit shows the reason and keeps what was typed.
    await teamB.locator('input[name="limit"]').fill('-3');
    await teamB.locator('.error:text("limit")').waitFor();
    assert.equal(await teamB.locator('button:text("Save")').isDisabled(), true);
    assert.equal(await teamB.locator('input[name="limit"]').inputValue(), '-3');

    await client.submitTraining('b1', 'team-b', 1);
    await page.waitForTimeout(1500);
    const phases = Object.fromEntries((await client.workloads()).map((w) => [w.name, w.phase]));
    assert.deepEqual(phases, { a1: 'Running', a2: 'Running', a3: 'Running', a4: 'Running', b1: 'Pending' });

    // Departments and projects are made and removed here too.
    await page.click('nav a:text("Departments")');
    await page.click('button:text("+ NEW DEPARTMENT")');
    await page.fill('form[data-form="unit"] input[name="name"]', 'research');
    await page.fill('form[data-form="unit"] input[name="deserved"]', '4');
    await page.click('button:text("CREATE DEPARTMENT")');
    await page.locator('form[data-unit="research"]').waitFor();
    await page.click('nav a:text("Projects")');
    await page.click('button:text("+ NEW PROJECT")');
    await page.fill('form[data-form="unit"] input[name="name"]', 'team-c');
    await page.selectOption('form[data-form="unit"] select[name="parent"]', { label: 'research' });
    await page.click('button:text("CREATE PROJECT")');
    const teamC = page.locator('form[data-unit="team-c"]');
    await teamC.waitFor();
    assert.match(await teamC.locator('.unit-head').textContent(), /in research/);
    // team-a still runs workloads: it is not deleted, and the page says why.
    await teamA.locator('button:text("Delete")').click();
    await teamA.locator('.error[role="alert"]:text("workload")').waitFor({ timeout: 10_000 });
    await teamC.locator('button:text("Delete")').click();
    await teamC.waitFor({ state: 'detached', timeout: 10_000 });
    // team-a's refused deletion answers 409, which Chromium logs; nothing else may be logged.
    const unexpected = errors.filter((e) => !/status of 409 /.test(e));
    assert.deepEqual(unexpected, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});

test('a researcher sees no admin pages and can submit only into their own project', async () => {
  const rota = await startRota();
  try {
    const admin = await api(rota.base);
    await admin.createUser('rita', 'rita-pass-1', 'researcher', ['team-a']);
    const page = await rota.browser.newPage();
    await signIn(page, rota.base, 'rita', 'rita-pass-1');
    assert.equal(await page.locator('header .role').textContent(), 'researcher');
    assert.equal(await page.locator('nav a:text("Projects")').count(), 0);
    assert.equal(await page.locator('nav a:text("Settings")').count(), 0);

    await page.goto(`${rota.base}/projects`);
    await page.locator('.error:text("only an admin may do this")').waitFor({ timeout: 10_000 });
    await page.goto(`${rota.base}/departments`);
    await page.locator('.error:text("only an admin may do this")').waitFor({ timeout: 10_000 });

    await page.goto(`${rota.base}/workloads/new`);
    await page.locator('select[name="project"]').waitFor();
    const offered = await page.locator('select[name="project"] option').allTextContents();
    assert.deepEqual(offered, ['team-a']);

    const rita = await api(rota.base, 'rita', 'rita-pass-1');
    const refused = await rita.trainingRequest('r1', 'team-b', 1);
    assert.equal(refused.status, 403);
    assert.match((await refused.json()).message, /not a member of project team-b/);
    assert.equal((await rita.trainingRequest('r1', 'team-a', 1)).status, 202);
  } finally {
    await rota.stop();
  }
});
