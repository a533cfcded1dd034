// Priority from the wizard, in Chromium: team-a fills the idle cluster with four low trainings
// (over its quota); in the wizard team-b picks the 'high' class, which is non-preemptible unless
// it says otherwise, and the page says what that means before anything is submitted. The table
// and the workload page show the class; team-b's training takes its quota back from team-a.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { api, newCompute, newEnvironment, signIn, startRota, watchErrors, wizardGeneral } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

test('a priority class chosen in the wizard shows in the table and on the workload page', async () => {
  const rota = await startRota();
  try {
    const rest = await api(rota.base);
    for (const name of ['t1', 't2', 't3', 't4']) await rest.submitTraining(name, 'team-a', 1);
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    await signIn(page, rota.base);
    await page.locator('tr[data-workload="t4"] td.status:text("Running")').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('tr[data-workload="t4"] td.priority').textContent(), 'low (preemptible)');

    await wizardGeneral(page, rota.base, { project: 'team-b', name: 'serve' });
    await newEnvironment(page, 'quickstart', 'gcr.io/run-ai-demo/quickstart');
    await newCompute(page, 'one-gpu', 1);

    // The type's default first, then a class: the preemptibility it implies is spelled out.
    const said = page.locator('[data-priority]');
    await page.locator('[data-priority]:text("Priority low (40), preemptible")').waitFor();
    await page.selectOption('select[name="priority"]', 'high');
    await page.locator('[data-priority]:text("Priority high (125), non-preemptible")').waitFor();
    assert.match(await said.textContent(), /runs only within the project's deserved quota/);
    assert.match(
      await page.locator('select[name="preemptibility"] option[value=""]').textContent(),
      /As the priority says \(non-preemptible\)/,
    );
    await page.waitForFunction(() => /preempting/.test(document.querySelector('[data-preview]')?.textContent ?? ''));
    await page.screenshot({ path: `${ARTIFACTS}priority-wizard.png`, fullPage: true });
    await page.click('button:text("CREATE TRAINING")');
    await page.waitForURL(/\/workloads$/);

    const row = page.locator('tr[data-workload="serve"]');
    await row.locator('td.status:text("Running")').waitFor({ timeout: 15_000 });
    assert.equal(await row.locator('td.priority').textContent(), 'high (non-preemptible)');
    await page.locator('tr[data-workload="t4"] td.status:text("Pending")').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}priority-table.png`, fullPage: true });
    await row.locator('a').click();
    await page.locator('dd.priority').waitFor();
    assert.equal(await page.locator('dd.priority').textContent(), 'high (non-preemptible)');

    assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});
