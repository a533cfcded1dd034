// Settings (admins): time-based fair share checked as typed, stored when saved; the Projects page
// shows each project's usage over the window beside its fair share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { api, signIn, startRota, watchErrors } from './support.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

test('an admin sets time-based fair share and sees usage beside fair share', async () => {
  const rota = await startRota();
  try {
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);
    const client = await api(rota.base);
    await client.submitTraining('a1', 'team-a', 1);
    await signIn(page, rota.base);
    await page.click('nav a:text("Settings")');
    await page.waitForURL(`${rota.base}/settings`);
    const form = page.locator('form.settings');
    await form.waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await form.locator('input[name="kValue"]').inputValue(), '0');
    assert.equal(await form.locator('input[name="windowSize"]').inputValue(), '168h');
    assert.equal(await form.locator('input[name="halfLifePeriod"]').inputValue(), '');

    // Checked as typed, by the server's own rule: the field is named and Save waits.
    await form.locator('input[name="kValue"]').fill('200');
    await form.locator('.error:text("kValue")').waitFor();
    assert.equal(await form.locator('button:text("Save")').isDisabled(), true);
    await form.locator('input[name="kValue"]').fill('1');
    await form.locator('input[name="windowSize"]').fill('10m');
    await form.locator('.error:text("windowSize")').waitFor();
    await form.locator('input[name="windowSize"]').fill('24h');
    await form.locator('input[name="halfLifePeriod"]').fill('6h');
    await form.locator('button:text("Save")').click();
    await form.locator('.ok:text("Saved: k 1, window 24h, half life 6h")').waitFor();
    assert.deepEqual(await client.fairShare(), { kValue: 1, windowSize: '24h', halfLifePeriod: '6h' });
    await page.screenshot({ path: `${ARTIFACTS}settings-fair-share.png`, fullPage: true });

    // Loaded again, the page shows what is stored.
    await page.reload();
    await form.waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await form.locator('input[name="halfLifePeriod"]').inputValue(), '6h');

    await page.click('nav a:text("Projects")');
    const usage = page.locator('form[data-unit="team-a"] td.usage');
    await usage.locator('text=/GPU-h/').waitFor({ timeout: 15_000 });
    assert.match(await usage.textContent(), /^\d+\.\d GPU-h$/);
    assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});
