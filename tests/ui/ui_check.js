// MLflow's UI in a real browser: Debian's Chromium, headless, driven by playwright-core, through
// Caddy with TLS, on a stack that runs MLflow's own users (server_auth: mlflow).
//
//   node tests/ui/ui_check.js
//
// From the environment:
//   UI_TARGET      the proxy as address:port (a test host); the browser reaches it through a forwarder on
//                  this machine's loopback, as https://<UI_SITE>:<port>/, so the site's name and TLS hold
//   UI_SITE        the proxy's site address (caddy_site_address), e.g. localhost
//   UI_USER, UI_PASSWORD   an MLflow user, who owns UI_OWN_EXPERIMENT and may not read UI_OTHER_EXPERIMENT
//   UI_OWN_EXPERIMENT, UI_OTHER_EXPERIMENT
//   UI_OUTPUT      the folder the screenshots go to
//   UI_CHROMIUM    the browser (default /usr/bin/chromium)
//
// The user logs a run of their own through the API first (a param, a metric over ten steps, a text
// artifact). Then: without credentials the browser is refused; with them it shows the experiment
// list (the user's experiment, not the other one), the run with its param, its metric chart, and
// its artifact list with the file's preview. One screenshot per page. Prints one JSON line; exits 1
// when a check fails.

'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const { chromium, request } = require('playwright-core');

const env = (name, fallback) => {
  const value = process.env[name] || fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const NOTE = 'written by the UI check';

// A TCP forwarder on loopback to the proxy: the browser then asks for the site by its own name.
function forward(target) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function logRun(base, credentials, experimentName) {
  const api = await request.newContext({ baseURL: base, httpCredentials: credentials, ignoreHTTPSErrors: true });
  const call = async (method, url, data) => {
    const response = await api.fetch(url, { method, data });
    if (!response.ok()) throw new Error(`${method} ${url}: ${response.status()} ${await response.text()}`);
    return response.headers()['content-type']?.includes('json') ? response.json() : {};
  };
  const found = await call('GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`);
  const experimentId = found.experiment.experiment_id;
  const { run } = await call('POST', '/api/2.0/mlflow/runs/create',
    { experiment_id: experimentId, run_name: 'ui-check', start_time: Date.now() });
  const runId = run.info.run_id;
  await call('POST', '/api/2.0/mlflow/runs/log-parameter', { run_id: runId, key: 'learning_rate', value: '0.01' });
  for (let step = 0; step < 10; step += 1) {
    await call('POST', '/api/2.0/mlflow/runs/log-metric',
      { run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step });
  }
  const upload = await api.put(`/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/notes.txt`,
    { data: `${NOTE}\n`, headers: { 'Content-Type': 'text/plain' } });
  if (!upload.ok()) throw new Error(`artifact upload: ${upload.status()}`);
  await call('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
  await api.dispose();
  return { experimentId, runId };
}

async function main() {
  const output = env('UI_OUTPUT');
  fs.mkdirSync(output, { recursive: true });
  const forwarder = await forward(env('UI_TARGET'));
  const base = `https://${env('UI_SITE')}:${forwarder.address().port}`;
  const credentials = { username: env('UI_USER'), password: env('UI_PASSWORD') };
  const own = env('UI_OWN_EXPERIMENT');
  const other = env('UI_OTHER_EXPERIMENT');
  const found = { screenshots: [], problems: [] };
  const shot = async (page, name) => {
    const file = path.join(output, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    found.screenshots.push(file);
  };
  const expect = async (what, check) => {
    try {
      await check();
      found[what] = 'ok';
    } catch (error) {
      found[what] = 'failed';
      found.problems.push(`${what}: ${String(error.message || error).split('\n')[0]}`);
    }
  };

  const { experimentId, runId } = await logRun(base, credentials, own);
  Object.assign(found, { experiment_id: experimentId, run_id: runId });
  const browser = await chromium.launch({ executablePath: env('UI_CHROMIUM', '/usr/bin/chromium'), headless: true,
    args: ['--no-sandbox'] });
  try {
    // Without credentials: Chromium gives up on the 401 (net::ERR_INVALID_AUTH_CREDENTIALS), or shows it.
    const anonymous = await browser.newContext({ ignoreHTTPSErrors: true });
    const refused = await anonymous.newPage();
    await expect('without_credentials_refused', async () => {
      let status;
      try {
        status = (await refused.goto(`${base}/`, { timeout: 30000 })).status();
      } catch (error) {
        if (!String(error.message).includes('ERR_INVALID_AUTH_CREDENTIALS')) throw error;
        status = 'ERR_INVALID_AUTH_CREDENTIALS';
      }
      found.without_credentials = status;
      if (status !== 401 && status !== 'ERR_INVALID_AUTH_CREDENTIALS') throw new Error(`answered ${status}`);
    });
    await anonymous.close();

    const context = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: credentials,
      viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await expect('experiment_list', async () => {
      await page.goto(`${base}/#/experiments`, { waitUntil: 'domcontentloaded', timeout: 60000 });
      await page.getByText(own, { exact: true }).first().waitFor({ timeout: 30000 });
      const others = await page.getByText(other, { exact: true }).count();
      if (others > 0) throw new Error(`${other} is listed for ${credentials.username}`);
    });
    await shot(page, '1-experiments');

    const runUrl = `${base}/#/experiments/${experimentId}/runs/${runId}`;
    await expect('run_params', async () => {
      await page.goto(runUrl, { waitUntil: 'domcontentloaded', timeout: 60000 });
      await page.getByText('learning_rate', { exact: true }).first().waitFor({ timeout: 30000 });
      await page.getByText('0.01', { exact: true }).first().waitFor({ timeout: 10000 });
      await page.getByText('learning_rate', { exact: true }).first().scrollIntoViewIfNeeded();
    });
    await shot(page, '2-run');

    await expect('metric_chart', async () => {
      await page.goto(`${runUrl}/model-metrics`, { waitUntil: 'domcontentloaded', timeout: 60000 });
      await page.getByText('loss', { exact: true }).first().waitFor({ timeout: 30000 });
      await page.locator('canvas, svg.main-svg, .js-plotly-plot').first().waitFor({ timeout: 30000 });
    });
    await shot(page, '3-metric-chart');

    await expect('artifact_preview', async () => {
      await page.goto(`${runUrl}/artifacts`, { waitUntil: 'domcontentloaded', timeout: 60000 });
      await page.getByText('notes.txt', { exact: true }).first().click({ timeout: 30000 });
      await page.getByText(NOTE).first().waitFor({ timeout: 30000 });
    });
    await shot(page, '4-artifact-preview');
    await context.close();
  } finally {
    await browser.close();
    forwarder.close();
  }
  console.log(JSON.stringify(found));
  process.exitCode = found.problems.length ? 1 : 0;
}

main().catch((error) => {
  console.log(JSON.stringify({ problems: [String(error.stack || error)] }));
  process.exitCode = 1;
});
