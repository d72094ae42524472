/**
 * End-to-end UI tests of the orchestration sidebar, the schedule dialog and
 * the run page, against a real JupyterLab + jupyter-orch server.
 *
 * The tests run in order and share the server's state: the deployment made
 * in one is run, inspected and paused by the next ones.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import { APIRequestContext, Locator, TestInfo } from '@playwright/test';
import * as path from 'path';

const EXAMPLE = 'orch_example.ipynb';
const FAILING = 'orch_failing.ipynb';
const DEPLOYMENT = 'ui-test';
const RUN_TIMEOUT = 180000;
const SCREENSHOTS = path.join(__dirname, '..', 'artifacts', 'screenshots');

// Tests run in file order on one worker and build on the server's state, but
// a failure does not skip the rest: each test finds what it needs by itself.
test.describe.configure({ mode: 'default' });

test.use({ autoGoto: true });

/** Save a screenshot as a test artifact (attached to the report and kept in artifacts/). */
async function snap(
  target: IJupyterLabPageFixture | Locator,
  name: string,
  info: TestInfo
) {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await target.screenshot({ path: file });
  await info.attach(name, { path: file, contentType: 'image/png' });
}

async function openSidebar(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('orch:open-sidebar')
  );
  const sidebar = page.getByTestId('orch-sidebar');
  await expect(sidebar).toBeVisible();
  return sidebar;
}

async function openTab(
  page: IJupyterLabPageFixture,
  tab: string
): Promise<Locator> {
  const sidebar = await openSidebar(page);
  await sidebar.getByTestId(`orch-tab-${tab}`).click();
  return sidebar;
}

async function openFile(page: IJupyterLabPageFixture, filePath: string) {
  await page.evaluate(
    p =>
      (window as any).jupyterapp.commands.execute('docmanager:open', {
        path: p
      }),
    filePath
  );
}

test('the backend answers', async ({ request }) => {
  const response = await request.get('/orch/api/health');
  expect(response.status(), await response.text()).toBe(200);
  expect((await response.json()).status).toBe('ok');
});

test('sidebar opens with its four sections and empty states', async ({
  page
}, info) => {
  // The sidebar has its own icon in the left tab bar.
  await page
    .locator('.jp-SideBar.jp-mod-left [data-id="jp-orch-sidebar"]')
    .click();
  const sidebar = page.getByTestId('orch-sidebar');
  await expect(sidebar).toBeVisible();
  await expect(sidebar.getByTestId('orch-dashboard')).toBeVisible();
  await expect(sidebar.getByTestId('orch-error')).toHaveCount(0);
  await expect(sidebar.getByTestId('orch-dashboard-empty')).toContainText(
    'No runs in the last 24 hours'
  );
  await snap(sidebar, '01-sidebar-dashboard-empty', info);

  await sidebar.getByTestId('orch-tab-runs').click();
  await expect(sidebar.getByTestId('orch-runs-empty')).toContainText(
    'No runs yet'
  );

  await sidebar.getByTestId('orch-tab-deployments').click();
  await expect(sidebar.getByTestId('orch-deployments-empty')).toContainText(
    'Schedule this notebook'
  );
  await snap(sidebar, '02-sidebar-deployments-empty', info);

  await sidebar.getByTestId('orch-tab-pools').click();
  await expect(
    sidebar
      .getByTestId('orch-work-pools')
      .or(sidebar.getByTestId('orch-pools-empty'))
  ).toBeVisible();
  await expect(
    sidebar.getByText('jupyter orch worker start --pool').first()
  ).toBeVisible();
  await snap(sidebar, '03-sidebar-work-pools', info);
});

test('commands are in the command palette', async ({ page }) => {
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#command-palette');
  await palette.locator('input').fill('Orchestration');
  await expect(palette.getByText('Show Orchestration Sidebar')).toBeVisible();
  await expect(palette.getByText('Refresh Orchestration Data')).toBeVisible();
  await page.keyboard.press('Escape');
});

test('the file browser offers "Schedule this notebook…" on notebooks', async ({
  page
}) => {
  await page.filebrowser.openHomeDirectory();
  await page
    .getByText(EXAMPLE, { exact: true })
    .first()
    .click({ button: 'right' });
  const item = page.locator('.lm-Menu-item', {
    hasText: 'Schedule this notebook…'
  });
  await expect(item).toBeVisible();
  await item.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByTestId('orch-schedule-form')).toContainText(EXAMPLE);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
});

test('deploy the example notebook from the schedule dialog', async ({
  page
}, info) => {
  await openFile(page, EXAMPLE);
  const panel = page
    .locator('.jp-NotebookPanel')
    .filter({ has: page.getByText('A small parametrized flow') });
  await expect(panel).toBeVisible();
  await panel
    .locator('.jp-Toolbar [data-command="orch:schedule-notebook"]')
    .click();

  const dialog = page.locator('.jp-Dialog');
  const form = dialog.getByTestId('orch-schedule-form');
  await expect(form).toBeVisible();
  // Parameters are prefilled from the notebook's `parameters` cell.
  await expect(form.getByTestId('orch-param-n')).toHaveValue('3');
  await expect(form.getByTestId('orch-param-greeting')).toHaveValue('hello');

  await form.getByTestId('orch-schedule-name').fill(DEPLOYMENT);
  await form.getByTestId('orch-schedule-cron').fill('0 9 * * *');
  await form.getByTestId('orch-schedule-timezone').fill('UTC');
  // The preview shows the next runs in words, computed by the server.
  const preview = form.getByTestId('orch-schedule-preview');
  await expect(preview.locator('li')).toHaveCount(5);
  await expect(preview.locator('.jp-Orch-previewText')).not.toBeEmpty();

  // A bad cron string gets the server's message instead of a preview.
  await form.getByTestId('orch-schedule-cron').fill('61 * * * *');
  await expect(preview.getByTestId('orch-error')).toBeVisible();
  await form.getByTestId('orch-schedule-cron').fill('0 9 * * *');
  await expect(preview.locator('li')).toHaveCount(5);
  await snap(dialog, '04-schedule-dialog', info);

  await dialog.getByRole('button', { name: 'Create deployment' }).click();
  await expect(dialog).toHaveCount(0);

  const sidebar = await openTab(page, 'deployments');
  const card = sidebar.locator(
    `[data-testid="orch-deployment"][data-deployment-name="${DEPLOYMENT}"]`
  );
  await expect(card).toBeVisible();
  await expect(card).toHaveAttribute('data-paused', 'false');
  await expect(card.getByTestId('orch-next-runs')).toBeVisible();
  // The deployment runs a copy taken now, and the card says so.
  await expect(card.getByTestId('orch-deployment-source')).toContainText(
    `Snapshot of ${EXAMPLE}`
  );
  await snap(sidebar, '05-sidebar-deployments', info);
});

/** The newest completed run of a flow, from the REST API. */
async function latestCompletedRun(
  request: APIRequestContext,
  flowName: string
): Promise<string> {
  const response = await request.get(
    `/orch/api/flow_runs?flow_name=${flowName}&state_type=COMPLETED&limit=1`
  );
  expect(response.ok(), await response.text()).toBeTruthy();
  const { items } = await response.json();
  expect(items.length, `no completed run of ${flowName}`).toBe(1);
  return items[0].id;
}

test('run it with a changed parameter and watch it complete without reloading', async ({
  page
}, info) => {
  let loads = 0;
  page.on('load', () => loads++);
  const sidebar = await openTab(page, 'deployments');
  const card = sidebar.locator(
    `[data-testid="orch-deployment"][data-deployment-name="${DEPLOYMENT}"]`
  );
  await card.getByTestId('orch-deployment-run').click();
  const form = card.getByTestId('orch-run-form');
  await expect(form.getByTestId('orch-param-n')).toHaveValue('3');
  await form.getByTestId('orch-param-n').fill('5');
  await form.getByTestId('orch-run-submit').click();

  // The run page opens at once and follows the run to its end.
  const runPage = page.getByTestId('orch-run-page');
  await expect(runPage).toHaveAttribute('data-run-id', /.+/);
  const notebookRunId = (await runPage.getAttribute('data-run-id')) ?? '';
  await expect(runPage.locator('[data-param="n"]')).toContainText('5');
  await expect(runPage).toHaveAttribute('data-state-type', 'COMPLETED', {
    timeout: RUN_TIMEOUT
  });

  // The Runs list updated by itself too.
  await sidebar.getByTestId('orch-tab-runs').click();
  const row = sidebar.locator(
    `[data-testid="orch-run-row"][data-run-id="${notebookRunId}"]`
  );
  await expect(row).toHaveAttribute('data-state-type', 'COMPLETED');
  expect(loads).toBe(0);
  await snap(sidebar, '06-sidebar-runs', info);
});

test('the run page shows state history, logs and the output notebook', async ({
  page,
  request
}, info) => {
  const notebookRunId = await latestCompletedRun(request, 'orch_example');
  const sidebar = await openTab(page, 'runs');
  await sidebar
    .locator(`[data-testid="orch-run-row"][data-run-id="${notebookRunId}"]`)
    .click();
  const runPage = page.locator(
    `[data-testid="orch-run-page"][data-run-id="${notebookRunId}"]`
  );
  await expect(runPage).toHaveAttribute('data-state-type', 'COMPLETED');
  await expect(
    runPage.getByTestId('orch-state-timeline').locator('li')
  ).not.toHaveCount(0);
  await expect(
    runPage.getByTestId('orch-logs').getByTestId('orch-log-line').first()
  ).toBeVisible();
  await snap(page, '07-run-page', info);

  // The output notebook opens read-only in JupyterLab, with the run's outputs.
  await runPage.getByTestId('orch-open-output').click();
  await expect(runPage.getByTestId('orch-error')).toHaveCount(0);
  const output = page.locator('.jp-NotebookPanel.jp-Orch-readOnly');
  await expect(output).toBeVisible();
  await expect(
    output.locator('.jp-OutputArea-output', { hasText: 'hello 30' })
  ).toBeVisible();
  await snap(page, '08-output-notebook', info);
});

test('the task graph, Gantt chart and artifacts of the notebook flow', async ({
  page
}, info) => {
  // The notebook's `squares` flow: filter the Runs list by flow to find it.
  const sidebar = await openTab(page, 'runs');
  await sidebar.getByTestId('orch-filter-flow').selectOption('squares');
  const rows = sidebar.getByTestId('orch-run-row');
  await expect(rows.first()).toBeVisible();
  await expect(
    sidebar.locator('.jp-Orch-runRow', { hasText: 'orch_example/' })
  ).toHaveCount(0);
  await rows.first().click();
  const runPage = page
    .locator('.jp-Orch-runPanel:visible')
    .getByTestId('orch-run-page');
  await expect(runPage).toHaveAttribute('data-state-type', 'COMPLETED');
  const graph = runPage.getByTestId('orch-task-graph');
  // 5 squares + 1 total, with an edge from each square to the total.
  await expect(graph.getByTestId('orch-graph-node')).toHaveCount(6);
  // The edges in view are drawn as one path; all five are in view.
  await expect(graph).toHaveAttribute('data-edge-count', '5');
  await expect(graph.getByTestId('orch-graph-edges')).toHaveAttribute(
    'data-edge-count',
    '5'
  );
  await expect(runPage.getByTestId('orch-gantt')).toBeVisible();
  await expect(runPage.getByTestId('orch-task-row')).toHaveCount(6);
  await expect(runPage.getByTestId('orch-artifact-table')).toContainText(
    'square'
  );
  await expect(
    runPage.locator('[data-artifact-type="markdown"]')
  ).toContainText('The sum is');
  await snap(page, '09-run-page-tasks', info);
  await sidebar.getByTestId('orch-filter-flow').selectOption('');
});

test('pause the schedule of a deployment', async ({ page }, info) => {
  const sidebar = await openTab(page, 'deployments');
  const card = sidebar.locator(
    `[data-testid="orch-deployment"][data-deployment-name="${DEPLOYMENT}"]`
  );
  await card.getByTestId('orch-deployment-pause').click();
  await expect(card).toHaveAttribute('data-paused', 'true');
  await expect(card.getByTestId('orch-paused-badge')).toBeVisible();
  await expect(card.getByTestId('orch-deployment-resume')).toBeVisible();
  await snap(sidebar, '10-deployment-paused', info);
});

test('a failed run is flagged on the dashboard', async ({
  page,
  request
}, info) => {
  // A notification rule on the "ui" channel: its messages become JupyterLab notifications.
  const rule = await request.post('/orch/api/notifications', {
    data: { name: 'ui-failures', channel: 'ui', state_names: ['Failed'] }
  });
  expect(rule.ok(), await rule.text()).toBeTruthy();

  // A notebook that raises, deployed and run through the REST API.
  const created = await request.post('/orch/api/deployments', {
    data: {
      name: 'ui-failing',
      flow_name: 'orch_failing',
      kind: 'notebook',
      path: FAILING,
      parameters: {},
      schedules: []
    }
  });
  expect(created.ok(), await created.text()).toBeTruthy();
  const deployment = await created.json();
  const started = await request.post(
    `/orch/api/deployments/${deployment.id}/create_flow_run`,
    {
      data: { parameters: { fail: true } }
    }
  );
  expect(started.ok(), await started.text()).toBeTruthy();
  const run = await started.json();

  const sidebar = await openTab(page, 'dashboard');
  const failed = sidebar.getByTestId('orch-dashboard-failed');
  await expect(failed).toHaveClass(/jp-mod-failed/, { timeout: RUN_TIMEOUT });
  const link = failed
    .getByTestId('orch-failed-runs')
    .getByRole('link', { name: new RegExp(run.name) });
  await expect(link).toBeVisible();
  await expect(sidebar.getByTestId('orch-dashboard-chart')).toBeVisible();
  await snap(sidebar, '11-dashboard-failed', info);

  await link.click();
  const runPage = page
    .locator('.jp-Orch-runPanel:visible')
    .getByTestId('orch-run-page');
  await expect(runPage).toHaveAttribute('data-state-type', /FAILED|CRASHED/);
  await expect(runPage).toContainText('boom');
  await snap(page, '12-failed-run-page', info);

  // The rule's message shows up as a JupyterLab notification.
  const toast = page.locator('.Toastify__toast', { hasText: run.name });
  await expect(toast).toBeVisible({ timeout: 60000 });
  await snap(page, '12b-failure-notification', info);

  // Retry puts the run back on the schedule; it runs (and fails) again.
  const history = runPage.getByTestId('orch-state-timeline').locator('li');
  const before = await history.count();
  await runPage.getByTestId('orch-run-retry').click();
  await expect(runPage.getByTestId('orch-error')).toHaveCount(0);
  await expect
    .poll(() => history.count(), { timeout: RUN_TIMEOUT })
    .toBeGreaterThan(before);
});

test('the sidebar follows the dark theme', async ({ page }, info) => {
  await page.theme.setDarkTheme();
  const sidebar = await openTab(page, 'dashboard');
  await expect(sidebar.getByTestId('orch-dashboard-chart')).toBeVisible();
  const background = await sidebar.evaluate(
    el => getComputedStyle(el).backgroundColor
  );
  // Dark theme layout colours are dark: all RGB channels well below 128.
  const channels = (background.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  expect(channels.every(c => c < 128)).toBe(true);
  await snap(page, '13-dark-theme', info);
  await page.theme.setLightTheme();
});

void galata;
