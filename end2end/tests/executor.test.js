// A workstation cluster (the local executor) in Chromium: a workload's page follows what its pod
// writes, live, and shows the exit code and the end of the output when it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, signIn, startRota, watchErrors } from './support.js';

test('a workload page follows its pod\'s output live on a workstation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rota-e2e-ws-'));
  const cluster = join(dir, 'cluster.toml');
  writeFileSync(cluster, 'name = "workstation"\nexecutor = "local"\n[local]\ngpus = 2\nnode = "ws"\n');
  const rota = await startRota({ env: { ROTA_CLUSTER: cluster, ROTA_DATA_DIR: join(dir, 'data') } });
  try {
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    await signIn(page, rota.base);
    const client = await api(rota.base);
    const counter = await client.submitTraining('counter', 'team-a', 1, {
      command: 'for i in 1 2 3 4 5 6; do echo "line $i on $CUDA_VISIBLE_DEVICES"; sleep 1; done; exit 3',
    });
    await page.goto(`${rota.base}/workloads/${counter.id}`);
    const logs = page.locator('pre[data-logs]');
    // The first line while it still runs, then every line, as they are written.
    await logs.filter({ hasText: 'line 1 on 0' }).waitFor({ timeout: 15_000 });
    assert.match(await page.locator('dd[data-runs]').textContent(), /^for i in 1 2 3 4 5 6; do/);
    const early = await logs.textContent();
    assert.ok(!early.includes('line 6'), `followed live, not read at the end: ${early}`);
    await logs.filter({ hasText: 'line 6 on 0' }).waitFor({ timeout: 15_000 });
    const text = await logs.textContent();
    assert.equal((text.match(/line 1 /g) || []).length, 1, `each line once: ${text}`);
    // The page of a workload that changes phase while it loads hydrates cleanly: the server
    // builds the page (and fetches its data) once, so the browser hydrates from the data the HTML
    // was rendered with. No console or page error at all.
    assert.deepEqual(errors, []);
    // It fails with code 3: its page says so, with the end of the output (read afresh: the
    // live refresh of the page is the Workloads tests' subject).
    const deadline = Date.now() + 15_000;
    while ((await client.workloads()).some((w) => w.name === 'counter') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.goto(`${rota.base}/workloads/${counter.id}`);
    await page.locator('[data-event="Failed"]').waitFor({ timeout: 15_000 });
    const failed = await page.locator('[data-event="Failed"]').textContent();
    assert.match(failed, /exited with code 3/);
    assert.match(failed, /line 6 on 0/);
  } finally {
    await rota.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
