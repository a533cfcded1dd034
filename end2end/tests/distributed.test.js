// A distributed training from the wizard, in Chromium: Distributed, PyTorch, three workers; an
// environment and a one-GPU compute resource made in place; the 'default' node pool ticked.
// The table shows 4/4 pods running; the workload page lists each pod with its node and GPU;
// team-b's one-GPU training then preempts it whole (0/4) while the page stays open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { api, signIn, startRota, watchErrors } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

test('a distributed training from the wizard starts whole and is preempted whole', async () => {
  const rota = await startRota();
  try {
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    await signIn(page, rota.base);

    await page.click('a:text("+ NEW WORKLOAD")');
    await page.waitForURL(`${rota.base}/workloads/new`);
    await page.check('input[name="kind"][value="Distributed"]');
    await page.selectOption('select[name="framework"]', 'PyTorch');
    await page.fill('input[name="workers"]', '3');
    await page.locator('text=A master and 3 worker(s): 4 pods').waitFor();
    await page.selectOption('select[name="project"]', { label: 'team-a' });
    await page.fill('input[name="name"]', 'ddp');
    await page.waitForFunction(() => !document.querySelector('button.primary[type="submit"]').disabled);
    await page.click('button:text("CONTINUE")');
    await page.locator('h2:text("Environment")').waitFor();

    await page.click('button:text("+ NEW ENVIRONMENT")');
    const env = page.locator('form[data-form="environment"]');
    await env.locator('input[name="name"]').fill('pytorch');
    await env.locator('input[name="image"]').fill('pytorch/pytorch');
    await env.locator('button:text("CREATE ENVIRONMENT")').click();
    await env.waitFor({ state: 'detached' });
    await page.click('button:text("+ NEW COMPUTE RESOURCE")');
    const compute = page.locator('form[data-form="compute"]');
    await compute.locator('input[name="name"]').fill('one-gpu');
    await compute.locator('input[name="gpuDevices"]').fill('1');
    await compute.locator('button:text("CREATE COMPUTE RESOURCE")').click();
    await compute.waitFor({ state: 'detached' });
    await page.check('[data-pool="default"] input');
    await page.locator('text=In this order of preference: default.').waitFor();

    await page.waitForFunction(() => /starts now on node-1, node-2/.test(document.querySelector('[data-preview]')?.textContent ?? ''));
    await page.click('button:text("CREATE DISTRIBUTED")');
    await page.waitForURL(/\/workloads$/);
    const row = page.locator('tr[data-workload="ddp"]');
    await row.locator('td.status:text("Running")').waitFor({ timeout: 15_000 });
    assert.equal(await row.locator('td.type').textContent(), 'Distributed');
    await row.locator('td.pods:text("4/4")').waitFor({ timeout: 10_000 });

    // The workload page: its framework, its pool, and each pod with its node and device.
    await row.locator('a').click();
    await page.locator('table.pods tbody tr').nth(3).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('table.pods tbody tr').count(), 4);
    assert.match(await page.locator('dl.facts').textContent(), /Distributed \(PyTorch\)/);
    assert.match(await page.locator('dl.facts').textContent(), /Node poolsdefault/);
    const nodes = await page.locator('table.pods tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual([...new Set(nodes)].sort(), ['node-1', 'node-2']);
    await page.screenshot({ path: `${ARTIFACTS}distributed-pods.png`, fullPage: true });

    // team-b takes one GPU of its quota back: the gang cannot run short, so it waits whole.
    await page.goBack();
    await row.locator('td.status:text("Running")').waitFor();
    const rest = await api(rota.base);
    await rest.submitTraining('b1', 'team-b', 1);
    await row.locator('td.status:text("Pending")').waitFor({ timeout: 15_000 });
    await row.locator('td.pods:text("0/4")').waitFor({ timeout: 10_000 });
    await page.locator('tr[data-workload="b1"] td.status:text("Running")').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}distributed-preempted-whole.png`, fullPage: true });

    assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});
