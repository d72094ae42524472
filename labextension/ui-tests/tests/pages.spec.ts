/**
 * UI tests of the main-area pages: one tab per object, live run pages (event
 * stream), the task-run page opened from the graph, cancel with confirmation,
 * the Runs page's filters and bulk cancel, deployment and flow pages, and
 * the admin pages. Each test makes what it needs through the REST API.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Locator, TestInfo } from '@playwright/test';
import * as path from 'path';

const EXAMPLE = 'orch_example.ipynb';
const FAILING = 'orch_failing.ipynb';
const RUN_TIMEOUT = 180000;
const SCREENSHOTS = path.join(__dirname, '..', 'artifacts', 'screenshots');

test.describe.configure({ mode: 'default' });
test.use({ autoGoto: true });

async function snap(
  target: IJupyterLabPageFixture | Locator,
  name: string,
  info: TestInfo
) {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await target.screenshot({ path: file });
  await info.attach(name, { path: file, contentType: 'image/png' });
}

async function exec(
  page: IJupyterLabPageFixture,
  command: string,
  args: Record<string, unknown> = {}
) {
  await page.evaluate(
    async ([c, a]) => {
      // The command may answer with a widget, which cannot cross into the test.
      await (window as any).jupyterapp.commands.execute(c, a);
    },
    [command, args] as const
  );
}

async function api<T = any>(
  request: APIRequestContext,
  method: string,
  url: string,
  data?: unknown
): Promise<T> {
  const response = await request.fetch(`/orch/api/${url}`, { method, data });
  expect(
    response.ok(),
    `${method} ${url}: ${await response.text()}`
  ).toBeTruthy();
  return response.status() === 204 ? (undefined as T) : response.json();
}

/** A notebook deployment made through the REST API (created or updated by name). */
async function deployment(
  request: APIRequestContext,
  name: string,
  notebook = EXAMPLE,
  extra: object = {}
) {
  return api(request, 'POST', 'deployments', {
    name,
    flow_name: notebook.replace('.ipynb', ''),
    kind: 'notebook',
    path: notebook,
    parameters: {},
    schedules: [],
    ...extra
  });
}

function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

/** The visible page of a kind (`run`, `deployment`, ...), optionally of one object. */
function pageOf(page: IJupyterLabPageFixture, key: string): Locator {
  return page.locator(`.jp-Orch-page[data-orch-page="${key}"]`);
}

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
