/**
 * A large task graph is drawn only where it is in view: the nodes out of
 * sight appear as the graph is scrolled to them, and open their task-run
 * page like any other. The run is made through the REST API.
 */
import { expect, test } from '@jupyterlab/galata';

import { api, exec, pageOf } from './helpers';

test.use({ autoGoto: true });

const TASKS = 400;

test('a large task graph draws what is scrolled into view', async ({
  page,
  request
}) => {
  const run = await api(request, 'POST', 'flow_runs', {
    flow_name: 'ui-large-graph',
    state: { type: 'COMPLETED' }
  });
  try {
    const ids = Array.from({ length: TASKS }, () => crypto.randomUUID());
    const now = Date.now();
    const task_runs = ids.map((id, i) => ({
      id,
      name: `task-${i}`,
      task_key: `task-${i % 20}`,
      dynamic_key: String(i),
      flow_run_id: run.id,
      state_id: crypto.randomUUID(),
      state_type: 'COMPLETED',
      state_name: 'Completed',
      start_time: new Date(now + i).toISOString(),
      end_time: new Date(now + i + 5).toISOString()
    }));
    // Every tenth task run consumes the ten before it: a long, left-to-right graph.
    const edges = ids.flatMap((id, i) =>
      i >= 10 && i % 10 === 0
        ? ids.slice(i - 10, i).map(up => ({
            flow_run_id: run.id,
            upstream_id: up,
            downstream_id: id
          }))
        : []
    );
    await api(request, 'POST', 'task_runs/batch', { task_runs, edges });

    await exec(page, 'orch:open-run', { id: run.id });
    const graph = pageOf(page, `run:${run.id}`).getByTestId('orch-task-graph');
    await expect(graph).toHaveAttribute('data-node-count', String(TASKS));
    await expect(graph).toHaveAttribute(
      'data-edge-count',
      String(edges.length)
    );
    const nodes = graph.getByTestId('orch-graph-node');
    await expect(nodes.first()).toBeVisible();
    expect(await nodes.count()).toBeLessThan(TASKS / 2);
    // The last consumer sits in the last column (the nine after it, unconsumed, in the first).
    const end = ids[TASKS - 10];
    const last = graph.locator(`[data-task-run-id="${end}"]`);
    await expect(last).toHaveCount(0);

    // Scrolled to the far end, the last task run is drawn, and opens.
    await graph.evaluate(svg => {
      const scroller = svg.parentElement!;
      scroller.scrollLeft = scroller.scrollWidth;
    });
    await expect(last).toBeVisible();
    expect(await nodes.count()).toBeLessThan(TASKS / 2);
    await last.click();
    await expect(
      pageOf(page, `task-run:${end}`).getByTestId('orch-task-run-page')
    ).toHaveAttribute('data-state-type', 'COMPLETED');
  } finally {
    // the run is removed again: the sidebar's empty-state test must find no runs
    await api(request, 'DELETE', `flow_runs/${run.id}`);
  }
});
