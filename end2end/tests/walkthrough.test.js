// The walkthrough's UI tab, in Chromium: sign in; create the environment and the 'one-gpu' and
// 'two-gpus' compute resources through the wizard; submit a2, a1 and b1 and see them Running;
// submit b2 and see a1 turn Pending and b2 Running without reloading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { newCompute, newEnvironment, signIn, startRota, watchErrors, wizardGeneral as general } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

async function create(page, name, previewPattern) {
  const preview = page.locator('[data-preview]');
  await preview.waitFor({ timeout: 10_000 });
  await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('[data-preview]')?.textContent ?? ''), previewPattern.source);
  await page.click('button:text("CREATE TRAINING")');
  await page.waitForURL(/\/workloads$/);
  await page.locator(`tr[data-workload="${name}"]`).waitFor({ timeout: 10_000 });
}

test('the walkthrough in the browser: over quota, reclaimed, all without a reload', async () => {
  const rota = await startRota();
  try {
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    await signIn(page, rota.base);

    // a2: a new environment and the 'two-gpus' compute resource, made in place.
    await general(page, rota.base, { project: 'team-a', name: 'a2' });
    await newEnvironment(page, 'quickstart', 'gcr.io/run-ai-demo/quickstart');
    await newCompute(page, 'two-gpus', 2);
    await create(page, 'a2', /starts now on node-\d/);

    // a1: the 'one-gpu' compute resource, made in place.
    await general(page, rota.base, { project: 'team-a', name: 'a1' });
    await page.check('[data-environment="quickstart"] input');
    await newCompute(page, 'one-gpu', 1);
    await create(page, 'a1', /starts now/);

    // b1: both picked from the lists.
    await general(page, rota.base, { project: 'team-b', name: 'b1' });
    await page.check('[data-environment="quickstart"] input');
    await page.check('[data-compute="one-gpu"] input');
    await create(page, 'b1', /starts now/);

    for (const name of ['a2', 'a1', 'b1']) {
      await page.locator(`tr[data-workload="${name}"] td.status:text("Running")`).waitFor({ timeout: 15_000 });
    }
    await page.screenshot({ path: `${ARTIFACTS}walkthrough-all-running.png`, fullPage: true });

    // b2: the preview says what will happen; then a1 is preempted while the page stays open.
    await general(page, rota.base, { project: 'team-b', name: 'b2' });
    await page.check('[data-environment="quickstart"] input');
    await page.check('[data-compute="one-gpu"] input');
    await create(page, 'b2', /preempt/i);
    const navigations = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
    await page.locator('tr[data-workload="a1"] td.status:text("Pending")').waitFor({ timeout: 15_000 });
    await page.locator('tr[data-workload="b2"] td.status:text("Running")').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('tr[data-workload="a2"] td.status').textContent(), 'Running');
    assert.equal(await page.locator('tr[data-workload="b1"] td.status').textContent(), 'Running');
    assert.deepEqual(navigations, [], 'the table updated without a reload');
    await page.screenshot({ path: `${ARTIFACTS}walkthrough-a1-preempted.png`, fullPage: true });

    // The name check: a live name in the project is refused as it is typed.
    await page.click('a:text("+ NEW WORKLOAD")');
    await page.selectOption('select[name="project"]', { label: 'team-a' });
    await page.fill('input[name="name"]', 'a2');
    await page.locator('.field-error:text("already exists in project team-a")').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('button:text("CONTINUE")').isDisabled(), true);

    // The name check's refusal answers 409, which Chromium logs; nothing else may be logged.
    const unexpected = errors.filter((e) => !/status of 409 /.test(e));
    assert.deepEqual(unexpected, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});
