/**
 * UI tests of the main-area pages: one tab per object, live run pages (event
 * stream), the task-run page opened from the graph, cancel with confirmation,
 * the Runs page's filters and bulk cancel, deployment and flow pages, and
 * the admin pages. Each test makes what it needs through the REST API.
 */
import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import {
  api,
  deployment,
  EXAMPLE,
  exec,
  FAILING,
  inSeconds,
  pageOf,
  RUN_TIMEOUT,
  snap
} from './helpers';

test.describe.configure({ mode: 'default' });
test.use({ autoGoto: true });

test('the launcher has an Orchestration section, and a page opens once however often it is asked for', async ({
  page
}, info) => {
  await exec(page, 'launcher:create');
  const section = page.locator('.jp-Launcher:visible .jp-Launcher-section', {
    hasText: 'Orchestration'
  });
  await expect(section).toBeVisible();
  await expect(
    section.locator('.jp-LauncherCard', { hasText: 'Orchestration Dashboard' })
  ).toBeVisible();
  await snap(section, '20-launcher-orchestration', info);
  await section
    .locator('.jp-LauncherCard', { hasText: 'Orchestration Dashboard' })
    .click();
  await expect(page.getByTestId('orch-dashboard-page')).toBeVisible();
  await exec(page, 'orch:open-dashboard');
  await exec(page, 'orch:open-page', { kind: 'dashboard' });
  await expect(pageOf(page, 'dashboard')).toHaveCount(1);
  // Its tab has a readable title, not only an icon.
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
      hasText: 'Orchestration Dashboard'
    })
  ).toHaveCount(1);
  await snap(page, '21-dashboard-page', info);
});

test('a run page follows the run live: Scheduled, Pending, Running, Completed', async ({
  page,
  request
}, info) => {
  const dep = await deployment(request, 'ui-live');
  // Due in a few seconds: the worker claims it ahead (Pending) and starts it when due, so the
  // page is open before it runs.
  const run = await api(
    request,
    'POST',
    `deployments/${dep.id}/create_flow_run`,
    {
      parameters: { n: 2 },
      scheduled_time: inSeconds(10)
    }
  );
  await exec(page, 'orch:open-run', { id: run.id });
  const runPage = pageOf(page, `run:${run.id}`).getByTestId('orch-run-page');
  await expect(runPage).toHaveAttribute('data-state-type', /SCHEDULED|PENDING/);
  await expect(runPage).toHaveAttribute('data-state-type', 'COMPLETED', {
    timeout: RUN_TIMEOUT
  });
  // Every state was on the page at some point, however short it lasted, in order.
  const seen = ((await runPage.getAttribute('data-seen-states')) ?? '').split(
    ' '
  );
  expect(seen.slice(-3)).toEqual(['PENDING', 'RUNNING', 'COMPLETED']);
  const history = runPage.getByTestId('orch-state-timeline').locator('li');
  await expect(history.first()).toContainText('Scheduled');
  await expect(history.last()).toContainText('Completed');
  // The tab is named after the run, and a second open reuses it.
  await exec(page, 'orch:open-run', { id: run.id });
  await expect(pageOf(page, `run:${run.id}`)).toHaveCount(1);
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: run.name })
  ).toHaveCount(1);
  await snap(page, '22-run-page-live', info);
});

test('a graph node opens the task-run page', async ({
  page,
  request
}, info) => {
  const { items } = await api(
    request,
    'GET',
    'flow_runs?flow_name=squares&state_type=COMPLETED&limit=1'
  );
  expect(items.length, 'the live test ran the squares flow').toBe(1);
  const run = items[0];
  await exec(page, 'orch:open-run', { id: run.id });
  const runPage = pageOf(page, `run:${run.id}`).getByTestId('orch-run-page');
  const node = runPage
    .getByTestId('orch-task-graph')
    .getByTestId('orch-graph-node')
    .first();
  await expect(node).toBeVisible();
  const taskId = await node.getAttribute('data-task-run-id');
  await node.click();
  const taskPage = pageOf(page, `task-run:${taskId}`).getByTestId(
    'orch-task-run-page'
  );
  await expect(taskPage).toHaveAttribute('data-state-type', 'COMPLETED');
  await expect(
    taskPage.getByTestId('orch-state-timeline').locator('li')
  ).not.toHaveCount(0);
  await expect(taskPage.getByTestId('orch-task-tries')).toContainText('1 of');
  await snap(page, '23-task-run-page', info);
  // Keyboard: a focused node opens with Enter; the link back opens the flow run.
  await taskPage.getByTestId('orch-task-flow-run-link').click();
  await expect(pageOf(page, `run:${run.id}`)).toBeVisible();
  await runPage.getByTestId('orch-graph-node').last().focus();
  await page.keyboard.press('Enter');
  await expect(
    page.locator('.jp-Orch-page[data-orch-page^="task-run:"]:visible')
  ).toHaveCount(1);
});

test('cancel asks for confirmation first', async ({ page, request }, info) => {
  const dep = await deployment(request, 'ui-cancel');
  const run = await api(
    request,
    'POST',
    `deployments/${dep.id}/create_flow_run`,
    {
      scheduled_time: inSeconds(3600)
    }
  );
  await exec(page, 'orch:open-run', { id: run.id });
  const runPage = pageOf(page, `run:${run.id}`).getByTestId('orch-run-page');
  await expect(runPage).toHaveAttribute('data-state-type', 'SCHEDULED');
  await runPage.getByTestId('orch-run-cancel').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText(run.name);
  await snap(page, '24-cancel-confirmation', info);
  await dialog.getByRole('button', { name: 'Keep running' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(runPage).toHaveAttribute('data-state-type', 'SCHEDULED');
  await runPage.getByTestId('orch-run-cancel').click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Confirm cancel' })
    .click();
  await expect(runPage).toHaveAttribute('data-state-type', 'CANCELLED');
});

test('a failure shows its traceback once', async ({ page, request }, info) => {
  const dep = await deployment(request, 'ui-fails', FAILING);
  const run = await api(
    request,
    'POST',
    `deployments/${dep.id}/create_flow_run`,
    {
      parameters: { fail: true }
    }
  );
  await exec(page, 'orch:open-run', { id: run.id });
  const runPage = pageOf(page, `run:${run.id}`).getByTestId('orch-run-page');
  await expect(runPage).toHaveAttribute('data-state-type', /FAILED|CRASHED/, {
    timeout: RUN_TIMEOUT
  });
  await expect(runPage.getByTestId('orch-state-message')).toHaveCount(1);
  await expect(runPage.getByTestId('orch-state-message')).toContainText('boom');
  // The state history names the error in one line, not the whole traceback again.
  await expect(runPage.getByTestId('orch-state-timeline')).not.toContainText(
    'Traceback'
  );
  await snap(page, '25-failed-run-once', info);
});

test('sidebar tabs stay on one line and the worker command is never broken mid-flag', async ({
  page
}, info) => {
  await exec(page, 'orch:open-sidebar');
  const sidebar = page.getByTestId('orch-sidebar');
  await expect(sidebar).toBeVisible();
  const tops = await sidebar
    .locator('.jp-Orch-tab')
    .evaluateAll(tabs => tabs.map(t => (t as HTMLElement).offsetTop));
  expect(new Set(tops).size).toBe(1);
  await sidebar.getByTestId('orch-tab-pools').click();
  const command = sidebar.getByText('jupyter orch worker start --pool').first();
  await expect(command).toBeVisible();
  expect(await command.evaluate(el => getComputedStyle(el).whiteSpace)).toBe(
    'pre'
  );
  await snap(sidebar, '26-sidebar-narrow', info);
});

/** A flow run without a deployment (no worker takes it), moved through `states`. */
async function runIn(
  request: APIRequestContext,
  name: string,
  states: object[],
  initial?: object
) {
  const run = await api(request, 'POST', 'flow_runs', {
    flow_name: 'ui-filters',
    name,
    ...(initial ? { state: initial } : {})
  });
  for (const state of states) {
    await api(request, 'POST', `flow_runs/${run.id}/set_state`, { state });
  }
  return run;
}

test('filter runs by several states and a name', async ({
  page,
  request
}, info) => {
  await runIn(request, 'filt-running', [{ type: 'RUNNING' }]);
  await runIn(request, 'filt-failed', [
    { type: 'RUNNING' },
    { type: 'FAILED', message: 'no' }
  ]);
  await runIn(request, 'filt-done', [
    { type: 'RUNNING' },
    { type: 'COMPLETED' }
  ]);
  await runIn(request, 'other-failed', [
    { type: 'RUNNING' },
    { type: 'FAILED' }
  ]);
  await exec(page, 'orch:open-runs');
  const runsPage = page.getByTestId('orch-runs-page');
  await expect(runsPage).toBeVisible();
  const history = runsPage.getByTestId('orch-runs-history');
  await runsPage.getByTestId('orch-filter-name').fill('FILT-');
  await expect(history.getByTestId('orch-run-row')).toHaveCount(3);
  const chips = runsPage.getByTestId('orch-filter-states');
  await chips.locator('[data-state-type="FAILED"]').click();
  await chips.locator('[data-state-type="RUNNING"]').click();
  await expect(chips.locator('[aria-pressed="true"]')).toHaveCount(2);
  await expect(history.getByTestId('orch-run-row')).toHaveCount(2);
  await expect(history.locator('[data-state-type="COMPLETED"]')).toHaveCount(0);
  // Only Failed and Running chosen: no upcoming section.
  await expect(runsPage.getByTestId('orch-runs-upcoming')).toHaveCount(0);
  await snap(page, '30-runs-page-filtered', info);
  await runsPage.getByTestId('orch-filter-clear').click();
  await expect(runsPage.getByTestId('orch-filter-name')).toHaveValue('');
});

test('upcoming runs apart from history, cancelled in bulk after a confirmation', async ({
  page,
  request
}, info) => {
  const later = (h: number) => ({
    type: 'SCHEDULED',
    scheduled_time: inSeconds(h * 3600)
  });
  await runIn(request, 'bulk-1', [], later(2));
  await runIn(request, 'bulk-2', [], later(1));
  await exec(page, 'orch:open-runs');
  const runsPage = page.getByTestId('orch-runs-page');
  await runsPage.getByTestId('orch-filter-name').fill('bulk-');
  const upcoming = runsPage.getByTestId('orch-upcoming-runs');
  // Soonest first, and not in the history.
  await expect(upcoming.getByTestId('orch-run-row')).toHaveCount(2);
  await expect(upcoming.getByTestId('orch-run-row').first()).toContainText(
    'bulk-2'
  );
  await expect(runsPage.getByTestId('orch-runs-page-empty')).toBeVisible();
  await upcoming.locator('thead input[type="checkbox"]').check();
  await runsPage.getByTestId('orch-runs-cancel-selected').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Cancel 2 runs?');
  await snap(page, '31-bulk-cancel-confirmation', info);
  await dialog.getByRole('button', { name: 'Confirm cancel' }).click();
  const history = runsPage.getByTestId('orch-history-runs');
  await expect(history.locator('tr[data-state-type="CANCELLED"]')).toHaveCount(
    2
  );
  await expect(runsPage.getByTestId('orch-upcoming-runs')).toHaveCount(0);
});

test('the deployment page: edit schedule and defaults, run with parameters, flow page, pause, resume, delete', async ({
  page,
  request
}, info) => {
  const dep = await deployment(request, 'ui-page', EXAMPLE, {
    schedules: [{ cron: '0 9 * * *', timezone: 'UTC' }]
  });
  // From the sidebar's card to the page.
  await exec(page, 'orch:open-sidebar');
  const sidebar = page.getByTestId('orch-sidebar');
  await sidebar.getByTestId('orch-tab-deployments').click();
  await sidebar
    .locator(`[data-testid="orch-deployment"][data-deployment-name="ui-page"]`)
    .getByTestId('orch-deployment-open')
    .click();
  const depPage = pageOf(page, `deployment:${dep.id}`).getByTestId(
    'orch-deployment-page'
  );
  await expect(depPage).toBeVisible();
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
      hasText: 'orch_example/ui-page'
    })
  ).toHaveCount(1);
  await expect(
    depPage.getByTestId('orch-deployment-chart').locator('svg')
  ).toBeVisible();

  // Edit the schedule: the server previews it, the page shows the saved one.
  const schedules = depPage.getByTestId('orch-deployment-schedules');
  const before = await schedules.getByTestId('orch-schedule-text').innerText();
  await schedules.getByTestId('orch-schedule-edit').click();
  await schedules.getByTestId('orch-schedule-edit-cron').fill('30 7 * * 1');
  await expect(
    schedules.getByTestId('orch-schedule-edit-preview')
  ).toBeVisible();
  await snap(page, '32-deployment-schedule-edit', info);
  await schedules.getByTestId('orch-schedule-save').click();
  await expect(schedules.getByTestId('orch-schedule-text')).not.toHaveText(
    before
  );
  const saved = await api(request, 'GET', `deployments/${dep.id}`);
  expect(saved.schedules[0].schedule.cron).toBe('30 7 * * 1');

  // Default parameters, typed from the notebook's parameters cell.
  const params = depPage.getByTestId('orch-deployment-parameters');
  await params.getByTestId('orch-parameters-edit').click();
  await params.getByTestId('orch-param-n').fill('4');
  await params.getByTestId('orch-parameters-save').click();
  await expect(params.locator('[data-param="n"]')).toContainText('4');

  // The flow page, from the header.
  await depPage
    .locator('.jp-Orch-pageHeader')
    .getByRole('link', { name: 'orch_example' })
    .click();
  const flowPage = page
    .locator('.jp-Orch-page[data-orch-page^="flow:"]')
    .getByTestId('orch-flow-page');
  await expect(
    flowPage.getByTestId('orch-flow-deployment').filter({ hasText: 'ui-page' })
  ).toHaveCount(1);
  await snap(page, '33-flow-page', info);
  await exec(page, 'orch:open-deployment', { id: dep.id });

  // An ad hoc run with a parameter: the form starts from the new default.
  await depPage.getByTestId('orch-deployment-run').click();
  const form = depPage.getByTestId('orch-run-form');
  await expect(form.getByTestId('orch-param-n')).toHaveValue('4');
  await form.getByTestId('orch-param-n').fill('6');
  await form.getByTestId('orch-run-submit').click();
  const runPage = page
    .locator('.jp-Orch-runPanel:visible')
    .getByTestId('orch-run-page');
  await expect(runPage.locator('[data-param="n"]')).toContainText('6');
  await exec(page, 'orch:open-deployment', { id: dep.id });
  // both once the ad hoc run has started (the local worker takes it at once) and a slot is upcoming
  await expect(
    depPage
      .getByTestId('orch-recent-runs')
      .or(depPage.getByTestId('orch-upcoming-runs'))
      .first()
  ).toBeVisible();
  await snap(page, '34-deployment-page', info);

  await depPage.getByTestId('orch-deployment-pause').click();
  await expect(depPage).toHaveAttribute('data-paused', 'true');
  await depPage.getByTestId('orch-deployment-resume').click();
  await expect(depPage).toHaveAttribute('data-paused', 'false');

  await depPage.getByTestId('orch-deployment-delete').click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Delete' })
    .click();
  await expect(pageOf(page, `deployment:${dep.id}`)).toHaveCount(0);
  const gone = await request.get(`/orch/api/deployments/${dep.id}`);
  expect(gone.status()).toBe(404);
});

test('work pools: create with a limit, add a queue, copy-ready worker command, pause, delete', async ({
  page,
  request
}, info) => {
  await exec(page, 'orch:open-work-pools');
  const poolsPage = page.getByTestId('orch-work-pools-page');
  const create = poolsPage.getByTestId('orch-pool-create');
  await create.getByTestId('orch-pool-name').fill('ui pool');
  await create.getByTestId('orch-pool-limit').fill('3');
  await create.getByTestId('orch-pool-create-submit').click();
  const pool = poolsPage
    .getByTestId('orch-pool')
    .filter({ has: page.locator('[data-pool-name="ui pool"]') });
  await expect(pool).toBeVisible();
  await expect(pool.getByTestId('orch-pool-limit-edit')).toHaveValue('3');
  // A name with a space is quoted, and the command stays on one line.
  const command = pool.getByTestId('orch-worker-command');
  await expect(command).toHaveText(
    "jupyter orch worker start --pool 'ui pool'"
  );
  expect(await command.evaluate(el => getComputedStyle(el).whiteSpace)).toBe(
    'pre'
  );
  await pool.getByTestId('orch-pool-limit-edit').fill('5');
  await pool.getByTestId('orch-pool-limit-save').click();
  await expect
    .poll(
      async () =>
        (await api(request, 'GET', 'work_pools/ui%20pool')).concurrency_limit
    )
    .toBe(5);
  await pool.getByTestId('orch-queue-name').fill('high');
  await pool.getByTestId('orch-queue-add').click();
  await expect(
    pool.locator('[data-testid="orch-queue"][data-queue-name="high"]')
  ).toBeVisible();
  await pool.getByTestId('orch-pool-pause').click();
  await expect(pool.getByTestId('orch-pool-status')).toHaveText('paused');
  await snap(page, '40-work-pools-page', info);
  await pool.getByTestId('orch-pool-delete').click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Delete' })
    .click();
  await expect(pool).toHaveCount(0);
});

test('concurrency limits: set, change and delete a tag limit', async ({
  page
}, info) => {
  await exec(page, 'orch:open-concurrency-limits');
  const limits = page.getByTestId('orch-concurrency-page');
  await limits.getByTestId('orch-limit-tag').fill('ui-db');
  await limits.getByTestId('orch-limit-value').fill('2');
  await limits.getByTestId('orch-limit-save').click();
  const row = limits.locator('[data-testid="orch-limit"][data-tag="ui-db"]');
  await expect(row).toContainText('0 / 2');
  await limits.getByTestId('orch-limit-tag').fill('ui-db');
  await limits.getByTestId('orch-limit-value').fill('4');
  await limits.getByTestId('orch-limit-save').click();
  await expect(row).toContainText('0 / 4');
  await snap(page, '41-concurrency-page', info);
  await row.getByTestId('orch-limit-delete').click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Delete' })
    .click();
  await expect(row).toHaveCount(0);
});

test('a notification rule made on its page sends a test as a JupyterLab toast', async ({
  page
}, info) => {
  await exec(page, 'orch:open-notifications');
  const rules = page.getByTestId('orch-notifications-page');
  const form = rules.getByTestId('orch-rule-form');
  await form.getByTestId('orch-rule-name').fill('ui-toast');
  await form.getByTestId('orch-rule-channel').selectOption('ui');
  await form.getByTestId('orch-rule-create').click();
  const rule = rules.locator(
    '[data-testid="orch-rule"][data-rule-name="ui-toast"]'
  );
  await expect(rule).toContainText('Failed, Crashed');
  await rule.getByTestId('orch-rule-test').click();
  await expect(rule.getByTestId('orch-rule-test-status')).toHaveText('sent');
  await expect(
    page.locator('.Toastify__toast', { hasText: "policy 'ui-toast'" })
  ).toBeVisible({ timeout: 60000 });
  await snap(page, '42-notifications-page', info);
  await rule.getByTestId('orch-rule-delete').click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Delete' })
    .click();
  await expect(rule).toHaveCount(0);
});

test('artifacts: latest by key, then its history; pages read well in the dark theme', async ({
  page,
  request
}, info) => {
  for (const version of ['one', 'two']) {
    await api(request, 'POST', 'artifacts', {
      key: 'ui-report',
      type: 'markdown',
      data: `# Report ${version}`
    });
  }
  await exec(page, 'orch:open-artifacts');
  const artifacts = page.getByTestId('orch-artifacts-page');
  const key = artifacts.locator(
    '[data-testid="orch-artifact-key"][data-key="ui-report"]'
  );
  await expect(key).toHaveCount(1);
  await key.getByRole('link', { name: 'ui-report' }).click();
  const history = artifacts.getByTestId('orch-artifact-history');
  await expect(history.getByTestId('orch-artifact')).toHaveCount(2);
  await expect(history.getByTestId('orch-artifact').first()).toContainText(
    'Report two'
  );
  await snap(page, '43-artifacts-page', info);
  await page.theme.setDarkTheme();
  await exec(page, 'orch:open-dashboard');
  const dashboard = page.getByTestId('orch-dashboard-page');
  await expect(dashboard).toBeVisible();
  const background = await dashboard.evaluate(
    el => getComputedStyle(el.closest('.jp-Orch-pagePanel')!).backgroundColor
  );
  const channels = (background.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  expect(channels.every(c => c < 128)).toBe(true);
  await snap(page, '44-dashboard-dark', info);
  await page.theme.setLightTheme();
});
