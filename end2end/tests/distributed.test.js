// A distributed training from the wizard, in Chromium: Distributed, PyTorch, three workers; an
// environment and a one-GPU compute resource made in place; the 'default' node pool ticked.
// The table shows 4/4 pods running; the workload page lists each pod with its node and GPU;
// team-b's one-GPU training then preempts it whole (0/4) while the page stays open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { api, newCompute, newEnvironment, signIn, startRota, watchErrors, wizardGeneral } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

test('a distributed training from the wizard starts whole and is preempted whole', async () => {
  const rota = await startRota();
  try {
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    await signIn(page, rota.base);

    await wizardGeneral(page, rota.base, {
      kind: 'Distributed',
      project: 'team-a',
      name: 'ddp',
      before: async (p) => {
        await p.selectOption('select[name="framework"]', 'PyTorch');
        await p.fill('input[name="workers"]', '3');
        await p.locator('text=A master and 3 worker(s): 4 pods').waitFor();
      },
    });
    await newEnvironment(page, 'pytorch', 'pytorch/pytorch');
    await newCompute(page, 'one-gpu', 1);
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
