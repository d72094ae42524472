/**
 * Browser half of benchmarks/ui_latency.py: drives Debian's Chromium with
 * Playwright against a running JupyterLab and prints one JSON object.
 *
 *   node ui_latency.mjs BASE_URL DEPLOYMENT_ID N [GRAPH_RUN_ID]
 *
 * 1. "Start run" → Completed: on the deployment page, click Start run and
 *    wait until the run page that opens shows Completed (N times).
 * 2. State change → page: open a run page, propose a state over REST and
 *    time until the page shows it (N transitions); both ends are read on this
 *    machine's clock (Date.now()), so the two times compare.
 * 3. Runs page first render (whatever the database holds) and the layout of
 *    GRAPH_RUN_ID's task graph, when given; each also split into the page's
 *    API requests and its own work until painted (Resource Timing), with each
 *    request's size and server time (its Server-Timing header), the page's
 *    `orch:*` performance measures and Chromium's main-thread counters
 *    (script, style, layout: CDP Performance.getMetrics).
 */
import { chromium } from '@playwright/test';

const [base, deploymentId, nArg, graphRunId] = process.argv.slice(2);
const n = Number(nArg || 5);
const executablePath = process.env.ORCH_UI_CHROMIUM || '/usr/bin/chromium';

async function api(method, path, body) {
  const response = await fetch(`${base}/orch/api/${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined
  });
  if (!response.ok) {
    throw new Error(
      `${method} ${path}: ${response.status} ${await response.text()}`
    );
  }
  return response.status === 204 ? null : response.json();
}

const exec = (page, command, args) =>
  page.evaluate(
    async ([c, a]) => {
      await window.jupyterapp.commands.execute(c, a);
    },
    [command, args]
  );

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run']
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
// Chromium's own counters of the page's main-thread work (script, style, layout), read around
// each measured page load: what its "own work" was spent on.
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const MAIN_THREAD = [
  'TaskDuration',
  'ScriptDuration',
  'RecalcStyleDuration',
  'LayoutDuration'
];
async function mainThread() {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(
    metrics
      .filter(m => MAIN_THREAD.includes(m.name))
      .map(m => [m.name, m.value])
  );
}
const since = (a, b) =>
  Object.fromEntries(MAIN_THREAD.map(k => [k, (b[k] - a[k]) * 1000]));
await page.goto(`${base}/lab`);
await page.waitForFunction(
  () => window.jupyterapp?.commands?.hasCommand('orch:open-deployment'),
  null,
  {
    timeout: 120000
  }
);

const result = {
  start_to_completed: [],
  run_durations: [],
  state_to_page: [],
  state_to_page_sent: [],
  // per run: click -> Scheduled, -> Pending (picked up), -> Running, -> Completed, -> page
  hops: []
};

// 1. Start run → Completed.
await exec(page, 'orch:open-deployment', { id: deploymentId });
const depPage = page.locator(
  `.jp-Orch-page[data-orch-page="deployment:${deploymentId}"]`
);
for (let i = 0; i < n + 1; i++) {
  await exec(page, 'orch:open-deployment', { id: deploymentId });
  await depPage.getByTestId('orch-deployment-run').click();
  const submit = depPage.getByTestId('orch-run-submit');
  await submit.waitFor();
  // The page notes when a new run page shows Completed (every frame, on the same clock as ours),
  // so Playwright's own polling of the locator below adds nothing to the time.
  await page.evaluate(() => {
    const page = '[data-testid="orch-run-page"]';
    const old = new Set(
      Array.from(document.querySelectorAll(page)).map(e =>
        e.getAttribute('data-run-id')
      )
    );
    window.__orchCompleted = new Promise(resolve => {
      const tick = () => {
        const done = Array.from(
          document.querySelectorAll(`${page}[data-state-type="COMPLETED"]`)
        ).find(
          e => !old.has(e.getAttribute('data-run-id')) && e.checkVisibility()
        );
        if (done) {
          resolve(Date.now());
        } else {
          requestAnimationFrame(tick);
        }
      };
      tick();
    });
  });
  const t0 = Date.now();
  await submit.click();
  const runPage = page.locator(
    '.jp-Orch-runPanel:visible [data-testid="orch-run-page"]'
  );
  await runPage
    .and(page.locator('[data-state-type="COMPLETED"]'))
    .waitFor({ timeout: 120000 });
  const t1 = await page.evaluate(() => window.__orchCompleted);
  const runId = await runPage.getAttribute('data-run-id');
  const run = await api('GET', `flow_runs/${runId}`);
  console.error(`run ${i}: ${(t1 - t0) / 1000} s`);
  if (i === 0) {
    continue; // the first run warms the kernel pool and the page's code
  }
  result.start_to_completed.push((t1 - t0) / 1000);
  result.run_durations.push(
    (Date.parse(run.end_time) - Date.parse(run.start_time)) / 1000
  );
  // The hops, from the run's state history (committed times, this machine's clock).
  const history = await api('GET', `flow_runs/${runId}/states`);
  const states = Array.isArray(history) ? history : history.items;
  const at = type => {
    const s = states.find(x => x.type === type);
    return s ? Date.parse(s.timestamp) : NaN;
  };
  const marks = [
    t0,
    at('SCHEDULED'),
    at('PENDING'),
    at('RUNNING'),
    at('COMPLETED'),
    t1
  ];
  result.hops.push(marks.slice(1).map((m, k) => (m - marks[k]) / 1000));
}

// 2. State change committed → shown on an open run page (through the event stream).
console.error('state changes → page');
for (let i = 0; i < n; i++) {
  const run = await api('POST', 'flow_runs', {
    flow_name: 'ui-latency-probe',
    name: `probe-${i}`
  });
  await exec(page, 'orch:open-run', { id: run.id });
  const probe = page.locator(
    `[data-testid="orch-run-page"][data-run-id="${run.id}"]`
  );
  await probe.and(page.locator('[data-state-type="PENDING"]')).waitFor();
  for (const type of ['RUNNING', 'COMPLETED']) {
    // The page records when it shows the state, on the same clock as ours: the observer is in
    // place before the state is proposed.
    await page.evaluate(
      ([id, t]) => {
        const el = document.querySelector(
          `[data-testid="orch-run-page"][data-run-id="${id}"]`
        );
        window.__orchShown = new Promise(resolve => {
          const observer = new MutationObserver(() => {
            if (el.getAttribute('data-state-type') === t) {
              observer.disconnect();
              resolve(Date.now());
            }
          });
          observer.observe(el, {
            attributes: true,
            attributeFilter: ['data-state-type']
          });
        });
      },
      [run.id, type]
    );
    const sent = Date.now();
    await api('POST', `flow_runs/${run.id}/set_state`, { state: { type } });
    const answered = Date.now();
    const at = await page.evaluate(() =>
      Promise.race([
        window.__orchShown,
        new Promise(r => setTimeout(() => r(null), 15000))
      ])
    );
    if (at === null) {
      result.state_timeouts = (result.state_timeouts ?? 0) + 1;
      continue;
    }
    result.state_to_page.push((at - answered) / 1000);
    result.state_to_page_sent.push((at - sent) / 1000);
  }
}

// 3. Runs page first render; a large task graph's layout.

/** The page's clock (ms), after emptying its Resource Timing buffer. */
const markStart = () =>
  page.evaluate(() => {
    performance.clearResourceTimings();
    performance.clearMeasures();
    performance.setResourceTimingBufferSize(1000);
    return performance.now();
  });

/**
 * Wait for the next frame to be painted, then split the time since `t` (the
 * page's clock): until the page's API requests since then were answered, and
 * from then until painted (the page's own work: React, style, layout, paint).
 */
const paintSplit = t =>
  page.evaluate(
    t0 =>
      new Promise(resolve =>
        requestAnimationFrame(() =>
          setTimeout(() => {
            const painted = performance.now();
            const answered = Math.max(
              t0,
              ...performance
                .getEntriesByType('resource')
                .filter(
                  e =>
                    e.startTime >= t0 &&
                    e.responseEnd <= painted &&
                    e.name.includes('/orch/api/')
                )
                .map(e => e.responseEnd)
            );
            // Each API request: its time, its size (bytes on the wire, and as JSON), the
            // server's share (Server-Timing: app, db, json), and the page's own marks.
            const api = performance
              .getEntriesByType('resource')
              .filter(e => e.startTime >= t0 && e.name.includes('/orch/api/'))
              .map(e => ({
                path: e.name.replace(/^.*\/orch\/api\//, ''),
                start: (e.startTime - t0) / 1000,
                ms: e.responseEnd - e.startTime,
                wire: e.transferSize,
                bytes: e.decodedBodySize,
                server: Object.fromEntries(
                  (e.serverTiming ?? []).map(t => [t.name, t.duration])
                )
              }));
            const marks = performance
              .getEntriesByType('measure')
              .filter(e => e.startTime >= t0 && e.name.startsWith('orch:'))
              .map(e => ({ name: e.name, ms: e.duration }));
            resolve({
              painted: (painted - t0) / 1000,
              requests: (answered - t0) / 1000,
              draw: (painted - answered) / 1000,
              api,
              marks
            });
          })
        )
      ),
    t
  );

/** One GET from here: its time (ms), body size and Server-Timing header. */
async function timedGet(path) {
  const t0 = performance.now();
  const response = await fetch(`${base}/orch/api/${path}`);
  const body = await response.arrayBuffer();
  return {
    ms: performance.now() - t0,
    bytes: body.byteLength,
    server: response.headers.get('server-timing')
  };
}

console.error('runs page and graph');
{
  const t0p = await markStart();
  const m0 = await mainThread();
  const t0 = Date.now();
  await exec(page, 'orch:open-runs');
  await page
    .locator('[data-testid="orch-runs-page"] [data-testid="orch-run-row"]')
    .first()
    .waitFor({ timeout: 60000 });
  result.runs_page_first_render = (Date.now() - t0) / 1000;
  const split = await paintSplit(t0p);
  result.runs_page_requests = split.requests;
  result.runs_page_draw = split.draw;
  result.runs_page_api = split.api;
  result.runs_page_marks = split.marks;
  result.runs_page_main = since(m0, await mainThread());
}
if (graphRunId) {
  const t0p = await markStart();
  const m0 = await mainThread();
  const t0 = Date.now();
  await exec(page, 'orch:open-run', { id: graphRunId });
  const graph = page.locator(
    `[data-testid="orch-run-page"][data-run-id="${graphRunId}"] [data-testid="orch-task-graph"]`
  );
  await graph.waitFor({ timeout: 120000 });
  result.graph_render = (Date.now() - t0) / 1000;
  // ... until the next frame has been painted, and the run page's requests apart.
  const split = await paintSplit(t0p);
  result.graph_painted = split.painted;
  result.graph_requests = split.requests;
  result.graph_draw = split.draw;
  result.graph_api = split.api;
  result.graph_marks = split.marks;
  result.graph_main = since(m0, await mainThread());
  result.graph_drawn = await graph
    .locator('[data-testid="orch-graph-node"]')
    .count();
  // Every task run laid out (the page may draw only those in view).
  result.graph_nodes = Number(
    (await graph.getAttribute('data-node-count')) ?? result.graph_drawn
  );
  // The page's graph request again, alone from here (median of 3), and the full graph's.
  // (without the page's cache-busting query parameter)
  const pagePath = split.api
    .find(a => a.path.startsWith(`flow_runs/${graphRunId}/graph`))
    ?.path.split('?')[0];
  const full = `flow_runs/${graphRunId}/graph`;
  result.graph_gets = [];
  for (const path of new Set([pagePath ?? full, full])) {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await timedGet(path));
    }
    runs.sort((a, b) => a.ms - b.ms);
    result.graph_gets.push({ path, ...runs[1] });
  }
}

await browser.close();
console.log(JSON.stringify(result));
