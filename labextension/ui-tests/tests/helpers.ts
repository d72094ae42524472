/**
 * What the UI tests share: screenshots kept as artifacts, running a command,
 * the REST API, notebook deployments and locating a main-area page.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator, TestInfo } from '@playwright/test';
import * as path from 'path';

export const EXAMPLE = 'orch_example.ipynb';
export const FAILING = 'orch_failing.ipynb';
export const RUN_TIMEOUT = 180000;
const SCREENSHOTS = path.join(__dirname, '..', 'artifacts', 'screenshots');

export async function snap(
  target: IJupyterLabPageFixture | Locator,
  name: string,
  info: TestInfo
) {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await target.screenshot({ path: file });
  await info.attach(name, { path: file, contentType: 'image/png' });
}

export async function exec(
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

export async function api<T = any>(
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
export async function deployment(
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

export function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

/** The visible page of a kind (`run`, `deployment`, ...), optionally of one object. */
export function pageOf(page: IJupyterLabPageFixture, key: string): Locator {
  return page.locator(`.jp-Orch-page[data-orch-page="${key}"]`);
}
