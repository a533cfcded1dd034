// Hydration and forms: interactive controls respond, refusals are shown, and what was typed stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, signIn, startRota, watchErrors } from './support.js';

test('a refused form shows the reason and keeps the input', async () => {
  const rota = await startRota();
  try {
    const page = await rota.browser.newPage();
    const errors = watchErrors(page);

    // Wrong password: the server's refusal, the user name kept.
    await page.goto(`${rota.base}/signin`);
    await page.waitForLoadState('networkidle');
    await page.fill('input[name="username"]', 'admin');
    await page.fill('input[name="password"]', 'not-the-password');
    await page.click('button:text("Sign in")');
    await page.locator('.error[role="alert"]').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('.error[role="alert"]').textContent(), /user name or password|wrong|invalid/i);
    assert.equal(await page.inputValue('input[name="username"]'), 'admin');

    await signIn(page, rota.base);
    await page.click('nav a:text("Environments")');
    await page.click('button:text("+ NEW ENVIRONMENT")');
    const form = page.locator('form[data-form="environment"]');
    // Checked as typed with rota-api's rules.
    await form.locator('input[name="name"]').fill('Bad_Name');
    await form.locator('.field-error:text("lowercase")').waitFor();
    await form.locator('input[name="name"]').fill('quickstart');
    await form.locator('input[name="image"]').fill('gcr.io/run-ai-demo/quickstart');
    // What it runs: variables are checked as typed too.
    await form.locator('input[name="command"]').fill('python train.py');
    await form.locator('textarea[name="env"]').fill('EPOCHS=3\nEPOCHS=4');
    await form.locator('.field-error:text("line 2: EPOCHS is given twice")').waitFor();
    assert.equal(await form.locator('button:text("CREATE ENVIRONMENT")').isDisabled(), true);
    await form.locator('textarea[name="env"]').fill('EPOCHS=3');
    await form.locator('button:text("CREATE ENVIRONMENT")').click();
    await page.locator('tr[data-asset="quickstart"] td:text("python train.py · 1 variable")').waitFor();

    // Deleting one in use is refused, with the reason.
    await page.click('nav a:text("Compute resources")');
    await page.click('button:text("+ NEW COMPUTE RESOURCE")');
    const compute = page.locator('form[data-form="compute"]');
    await compute.locator('input[name="name"]').fill('one-gpu');
    await compute.locator('button:text("CREATE COMPUTE RESOURCE")').click();
    await page.locator('tr[data-asset="one-gpu"]').waitFor();
    await page.click('nav a:text("Templates")');
    await page.click('button:text("+ NEW TEMPLATE")');
    await page.fill('form[data-form="template"] input[name="name"]', 'quick-one');
    await page.click('button:text("CREATE TEMPLATE")');
    await page.locator('tr[data-asset="quick-one"]').waitFor();
    await page.click('tr[data-asset="quick-one"] button:text("Edit")');
    await page.fill('form[data-form="template"] input[name="name"]', 'quick-two');
    await page.selectOption('form[data-form="template"] select[name="type"]', 'workspace');
    await page.click('form[data-form="template"] button:text("SAVE")');
    await page.locator('tr[data-asset="quick-two"] td:text("workspace")').waitFor();
    await page.click('nav a:text("Environments")');
    await page.click('tr[data-asset="quickstart"] button:text("Delete")');
    await page.locator('tr[data-asset="quickstart"] .error:text("quick-two")').waitFor({ timeout: 10_000 });

    // A server refusal in the compute form keeps every field.
    await page.click('nav a:text("Compute resources")');
    await page.click('button:text("+ NEW COMPUTE RESOURCE")');
    await compute.locator('input[name="name"]').fill('one-gpu');
    await compute.locator('.field-error:text("taken")').waitFor();
    assert.equal(await compute.locator('button:text("CREATE COMPUTE RESOURCE")').isDisabled(), true);
    assert.equal(await compute.locator('input[name="name"]').inputValue(), 'one-gpu');

    // Keyboard only: sign out is reachable and works — and it ends the session for real: the
    // token the cookie held no longer opens the API.
    const session = (await page.context().cookies()).find((c) => c.name === 'rota_session');
    assert.ok(session, 'a session cookie');
    const withSession = () => fetch(`${rota.base}/api/v1/org-unit/projects`, { headers: { authorization: `Bearer ${session.value}` } });
    assert.equal((await withSession()).status, 200);
    await page.locator('header button:text("Sign out")').focus();
    await page.keyboard.press('Enter');
    await page.locator('h1:text("Sign in to Rota")').waitFor({ timeout: 10_000 });
    assert.equal((await withSession()).status, 401, 'the signed-out token is refused');
    // The refusals above answer 401 and 409, which Chromium logs; nothing else may be logged.
    const unexpected = errors.filter((e) => !/status of (401|409) /.test(e));
    assert.deepEqual(unexpected, [], `console errors: ${errors.join('\n')}`);
  } finally {
    await rota.stop();
  }
});

test('the session cookie is Secure when a TLS proxy says the browser came over HTTPS', async () => {
  const rota = await startRota();
  try {
    const html = await (await fetch(`${rota.base}/signin`)).text();
    const action = html.match(/action="([^"]+)"/)?.[1];
    assert.ok(action, 'the sign-in form posts somewhere');
    const cookieFor = async (headers) => {
      const r = await fetch(`${rota.base}${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      // The cookie's value, then its attributes in whatever order the server writes them.
      const [pair, ...attributes] = (r.headers.get('set-cookie') ?? '').split(/;\s*/);
      return { pair, attributes: new Set(attributes) };
    };
    const plain = await cookieFor({});
    assert.match(plain.pair, /^rota_session=.+/);
    for (const a of ['Path=/', 'HttpOnly', 'SameSite=Lax']) assert.ok(plain.attributes.has(a), a);
    assert.ok(!plain.attributes.has('Secure'));
    assert.ok((await cookieFor({ 'x-forwarded-proto': 'https' })).attributes.has('Secure'));
  } finally {
    await rota.stop();
  }
});
