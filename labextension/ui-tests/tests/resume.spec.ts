/**
 * Resume a paused run with input from its run page: a notebook deployment
 * whose flow calls `pause_flow_run(wait_for_input=Approval)` is run by the
 * worker; its page shows a form generated from the input's schema, a value
 * the server refuses is shown on its field, and a valid one resumes the run
 * to Completed with the input in its log. Every wait is on a condition.
 */
import { expect, test } from '@jupyterlab/galata';

import { api, deployment, exec, pageOf, RUN_TIMEOUT, snap } from './helpers';

const PAUSING = 'orch_pause.ipynb';

test.use({ autoGoto: true });

test('resume a paused run with input from its page', async ({
  page,
  request
}, info) => {
  const dep = await deployment(request, 'ui-approval', PAUSING);
  await api(request, 'POST', `deployments/${dep.id}/create_flow_run`, {});
  // The notebook's `approval` flow is a run of its own; wait until it pauses.
  let runId = '';
  let pauseKey = '';
  await expect
    .poll(
      async () => {
        const { items } = await api(
          request,
          'GET',
          'flow_runs?flow_name=approval&state_type=PAUSED&limit=1'
        );
        runId = items[0]?.id ?? '';
        pauseKey = items[0]?.state?.data?.pause_key ?? '';
        return runId;
      },
      { timeout: RUN_TIMEOUT, intervals: [500, 1000] }
    )
    .not.toBe('');

  await exec(page, 'orch:open-run', { id: runId });
  const runPage = pageOf(page, `run:${runId}`).getByTestId('orch-run-page');
  await expect(runPage).toHaveAttribute('data-state-type', 'PAUSED');
  const form = runPage.getByTestId('orch-resume-form');
  await expect(form).toHaveAttribute('data-waits-for-input', 'true');
  await expect(runPage.getByTestId('orch-resume-description')).toContainText(
    'Approve the report'
  );
  // The schema's default is filled in; every field is a labelled input.
  const copies = form.getByLabel(/Copies/);
  await expect(copies).toHaveValue('1');

  // A value the browser accepts but the schema refuses (minimum 1): the
  // server's 422 is shown on that field, and the run stays paused.
  await form.getByLabel(/Approved/).check();
  await form.getByLabel(/Reviewer/).fill('ada');
  await copies.fill('0');
  await form.getByTestId('orch-resume-submit').click();
  const fieldError = form.locator('.jp-Orch-fieldError');
  await expect(fieldError).toContainText('Copies');
  await expect(fieldError).toContainText('minimum');
  await expect(copies).toHaveAttribute('aria-invalid', 'true');
  await expect(runPage).toHaveAttribute('data-state-type', 'PAUSED');
  await snap(page, '40-run-page-resume-error', info);

  // Keyboard: fix the value and submit with Enter.
  await copies.fill('2');
  await copies.press('Enter');
  await expect(runPage).toHaveAttribute('data-state-type', 'COMPLETED', {
    timeout: RUN_TIMEOUT
  });
  await expect(runPage.getByTestId('orch-resume-form')).toHaveCount(0);
  await expect(runPage.getByTestId('orch-logs')).toContainText(
    'approved=True by ada, 2 copies'
  );
  const history = runPage.getByTestId('orch-state-timeline');
  await expect(history).toContainText('Paused');
  await expect(history).toContainText('Resuming');
  await snap(page, '41-run-page-resumed', info);

  const input = await api(
    request,
    'GET',
    `flow_runs/${runId}/input/${encodeURIComponent(`${pauseKey}-response`)}`
  );
  expect(input.value).toEqual({ approved: true, reviewer: 'ada', copies: 2 });
});
