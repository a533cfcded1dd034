// Starts rota-server on a free port with a fresh SQLite store, and Chromium (Debian's, headless)
// with a fresh profile. Everything is torn down by the returned stop().
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const ADMIN_PASSWORD = 'e2e-admin';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitHealthy(base, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`rota-server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('rota-server did not become healthy within 60 s');
}

// `env`: more of the server's environment (a cluster file, a data folder).
export async function startRota({ env = {} } = {}) {
  const bin = process.env.ROTA_SERVER_BIN;
  const siteRoot = process.env.ROTA_SITE_ROOT;
  if (!bin || !siteRoot) throw new Error('set ROTA_SERVER_BIN and ROTA_SITE_ROOT (scripts/test does)');
  const dir = mkdtempSync(join(tmpdir(), 'rota-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logs = [];
  const child = spawn(bin, [], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, 'rota.db')}`,
      ROTA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => logs.push(String(d)));
  child.stderr.on('data', (d) => logs.push(String(d)));
  await waitHealthy(base, child);
  const profile = mkdtempSync(join(tmpdir(), 'rota-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const stop = async () => {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, browser, stop, logs };
}

// Signs in through the sign-in form (the page the browser is on, or /signin).
export async function signIn(page, base, username = 'admin', password = ADMIN_PASSWORD) {
  await page.goto(`${base}/signin`);
  await page.waitForLoadState('networkidle');
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]:text("Sign in")');
  await page.locator('header .who .user').waitFor({ timeout: 15_000 });
  // Admins land on the Overview: the tests start from the workloads, as researchers do.
  await page.waitForURL(/\/(overview|workloads)$/);
  if (page.url().endsWith('/overview')) {
    await page.click('nav a:text("Workloads")');
    await page.waitForURL(/\/workloads$/);
  }
}

// Collects console errors and page errors, to assert none happened.
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

// The REST API, as a script would use it (signed in as `username`, the admin by default).
export async function api(base, username = 'admin', password = ADMIN_PASSWORD) {
  const r = await fetch(`${base}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grantType: 'password', username, password }),
  });
  if (r.status !== 200) throw new Error(`sign in as ${username}: ${r.status} ${await r.text()}`);
  const { accessToken } = await r.json();
  const auth = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
  const projects = await (await fetch(`${base}/api/v1/org-unit/projects`, { headers: auth })).json();
  const byName = Object.fromEntries(projects.projects.map((p) => [p.name, p]));
  // `spec`: more of the workload's spec (command, args, environmentVariables).
  const trainingRequest = (name, project, gpus, spec = {}) => fetch(`${base}/api/v1/workloads/trainings`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      name, projectId: byName[project].id, clusterId: byName[project].clusterId,
      spec: { image: 'gcr.io/run-ai-demo/quickstart', compute: { gpuDevicesRequest: gpus }, ...spec },
    }),
  });
  return {
    projects: byName,
    trainingRequest,
    async submitTraining(name, project, gpus, spec = {}) {
      const res = await trainingRequest(name, project, gpus, spec);
      if (res.status !== 202) throw new Error(`submit ${name}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async createUser(username, password, role, projects) {
      const res = await fetch(`${base}/api/v1/users`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ username, password, role, projects }),
      });
      if (res.status !== 201) throw new Error(`create ${username}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async project(name) {
      const res = await fetch(`${base}/api/v1/org-unit/projects`, { headers: auth });
      return (await res.json()).projects.find((p) => p.name === name);
    },
    async workloads() {
      const res = await fetch(`${base}/api/v1/workloads`, { headers: auth });
      return (await res.json()).workloads;
    },
    async deleteTraining(project, name) {
      const res = await fetch(`${base}/api/v1/workloads/trainings/${project}%2F${name}`, { method: 'DELETE', headers: auth });
      if (res.status >= 300) throw new Error(`delete ${project}/${name}: ${res.status} ${await res.text()}`);
    },
    async fairShare() {
      const res = await fetch(`${base}/api/v1/settings/fair-share`, { headers: auth });
      return res.json();
    },
  };
}

// The new-workload wizard, step 1: type, project, scratch, a name checked as it is typed;
// CONTINUE. `before(page)` fills what the type adds (a distributed training's workers).
export async function wizardGeneral(page, base, { kind = 'Training', project, name, before }) {
  await page.click('a:text("+ NEW WORKLOAD")');
  await page.waitForURL(`${base}/workloads/new`);
  await page.check(`input[name="kind"][value="${kind}"]`);
  if (before) await before(page);
  await page.selectOption('select[name="project"]', { label: project });
  await page.selectOption('select[name="template"]', '');
  await page.fill('input[name="name"]', name);
  await page.waitForFunction(() => !document.querySelector('button.primary[type="submit"]').disabled);
  await page.click('button:text("CONTINUE")');
  await page.locator('h2:text("Environment")').waitFor();
}

// The wizard, step 2: a new environment made in place, and picked.
export async function newEnvironment(page, name, image) {
  await page.click('button:text("+ NEW ENVIRONMENT")');
  const form = page.locator('form[data-form="environment"]');
  await form.locator('input[name="name"]').fill(name);
  await form.locator('input[name="image"]').fill(image);
  await form.locator('button:text("CREATE ENVIRONMENT")').click();
  await form.waitFor({ state: 'detached' });
  await page.locator(`[data-environment="${name}"] input:checked`).waitFor();
}

// The wizard, step 2: a new compute resource of `gpus` GPUs per pod made in place (with the
// walkthrough's defaults of 0.1 CPU cores and 100 MB), and picked.
export async function newCompute(page, name, gpus) {
  await page.click('button:text("+ NEW COMPUTE RESOURCE")');
  const form = page.locator('form[data-form="compute"]');
  await form.locator('input[name="name"]').fill(name);
  await form.locator('input[name="gpuDevices"]').fill(String(gpus));
  if ((await form.locator('input[name="cpuCores"]').inputValue()) !== '0.1') throw new Error('CPU default is not 0.1');
  if ((await form.locator('input[name="cpuMemory"]').inputValue()) !== '100') throw new Error('memory default is not 100');
  await form.locator('button:text("CREATE COMPUTE RESOURCE")').click();
  await form.waitFor({ state: 'detached' });
  await page.locator(`[data-compute="${name}"] input:checked`).waitFor();
}
