import { afterEach, describe, expect, it } from 'vitest';

import { OrchModel } from '../src/model';
import { RunModel } from '../src/runModel';
import { OrchAPIError, Requester } from '../src/request';
import { IFlowRun } from '../src/tokens';

type Call = {
  path: string;
  method: string;
  body?: unknown;
  query?: Record<string, unknown>;
};

/** A fake API: answers from a route table and records every call. */
function fakeAPI(routes: Record<string, (call: Call) => unknown>) {
  const calls: Call[] = [];
  const request: Requester = async <T>(
    path: string,
    init: {
      method?: string;
      body?: unknown;
      query?: Record<string, unknown>;
    } = {}
  ) => {
    const call = {
      path,
      method: init.method ?? 'GET',
      body: init.body,
      query: init.query
    };
    calls.push(call);
    const key = `${call.method} ${path}`;
    const handler = routes[key] ?? routes[path];
    if (!handler) {
      throw new OrchAPIError(`no route ${key}`, 404, 'not_found');
    }
    return handler(call) as T;
  };
  return { request, calls };
}

function run(
  id: string,
  state: IFlowRun['state_type'] = 'COMPLETED'
): IFlowRun {
  return {
    id,
    name: `run-${id}`,
    flow_id: 'f1',
    flow_name: 'etl',
    deployment_id: null,
    state_type: state,
    state_name: state.charAt(0) + state.slice(1).toLowerCase(),
    expected_start_time: null,
    start_time: null,
    end_time: null,
    parameters: {},
    tags: [],
    created: '2024-01-01T00:00:00+00:00'
  };
}

const page = <T>(items: T[]) => ({ items, next: null });

function baseRoutes(runs: () => IFlowRun[]) {
  return {
    flow_runs: () => page(runs()),
    deployments: () => page([]),
    work_pools: () => page([{ name: 'pool', is_paused: false }]),
    workers: () => page([]),
    flows: () => page([{ id: 'f1', name: 'etl' }]),
    'flow_runs/counts': () => ({
      by_state: { COMPLETED: 1 },
      buckets: [],
      late: 0,
      failed: 0
    })
  };
}

const models: { dispose(): void }[] = [];
afterEach(() => {
  models.splice(0).forEach(m => m.dispose());
});

function makeModel(request: Requester, now = new Date('2024-05-01T12:00:00Z')) {
  const model = new OrchModel({ request, autoStart: false, now: () => now });
  models.push(model);
  return model;
}

describe('OrchModel', () => {
  it('loads all collections and emits changed', async () => {
    let runs = [run('a')];
    const api = fakeAPI(baseRoutes(() => runs));
    const model = makeModel(api.request);
    let changes = 0;
    model.changed.connect(() => changes++);
    expect(model.loaded).toBe(false);
    await model.refresh();
    expect(model.loaded).toBe(true);
    expect(model.runs.map(r => r.id)).toEqual(['a']);
    expect(model.workPools[0].name).toBe('pool');
    expect(model.flows[0].name).toBe('etl');
    expect(model.counts?.by_state.COMPLETED).toBe(1);
    expect(model.error).toBeNull();
    expect(changes).toBe(1);

    // Nothing changed on the server: no signal, no re-render.
    await model.refresh();
    expect(changes).toBe(1);

    runs = [run('b', 'RUNNING'), run('a')];
    await model.refresh();
    expect(changes).toBe(2);
    expect(model.runs[0].state_type).toBe('RUNNING');
  });

  it('asks for the dashboard window of the last 24 hours', async () => {
    const api = fakeAPI(baseRoutes(() => []));
    const model = makeModel(api.request);
    await model.refresh();
    const counts = api.calls.find(c => c.path === 'flow_runs/counts')!;
    expect(counts.query).toEqual({
      since: '2024-04-30T12:00:00.000Z',
      until: '2024-05-01T12:00:00.000Z',
      buckets: 24
    });
    const failed = api.calls.find(
      c => c.path === 'flow_runs' && Array.isArray(c.query?.state_type)
    )!;
    expect(failed.query?.state_type).toEqual(['FAILED', 'CRASHED']);
  });

  it('sends the run filter as query parameters', async () => {
    const api = fakeAPI(baseRoutes(() => []));
    const model = makeModel(api.request);
    model.runFilter = {
      flow_name: 'etl',
      deployment_id: 'd1',
      tags: ['x', 'y'],
      state_type: ['FAILED']
    };
    await model.refresh();
    const listCalls = api.calls.filter(
      c => c.path === 'flow_runs' && c.query?.flow_name
    );
    expect(listCalls.length).toBeGreaterThan(0);
    expect(listCalls[0].query).toEqual({
      limit: 100,
      flow_name: 'etl',
      deployment_id: 'd1',
      tags: ['x', 'y'],
      state_type: ['FAILED']
    });
    expect(model.runQuery()).not.toHaveProperty('cursor');
  });

  it('records the server message on failure and keeps the rest', async () => {
    const routes: Record<string, (c: Call) => unknown> = baseRoutes(() => [
      run('a')
    ]);
    routes.work_pools = () => {
      throw new OrchAPIError('database is locked', 503, 'unavailable');
    };
    const api = fakeAPI(routes);
    const model = makeModel(api.request);
    const errors: (string | null)[] = [];
    model.errorChanged.connect((_, e) => errors.push(e));
    await model.refresh();
    expect(model.error).toBe('database is locked');
    expect(model.runs).toHaveLength(1);
    expect(errors).toEqual(['database is locked']);

    routes.work_pools = () => page([]);
    await model.refresh();
    expect(model.error).toBeNull();
    expect(errors).toEqual(['database is locked', null]);
  });

  it('posts actions to the documented endpoints and refreshes', async () => {
    const routes: Record<string, (c: Call) => unknown> = {
      ...baseRoutes(() => []),
      'POST deployments/d1/pause': () => ({}),
      'POST deployments/d1/resume': () => ({}),
      'DELETE deployments/d1': () => null,
      'POST deployments/d1/create_flow_run': c => ({
        ...run('new', 'SCHEDULED'),
        parameters: (c.body as any).parameters
      }),
      'POST flow_runs/r1/cancel': () => ({}),
      'POST flow_runs/r1/retry': () => ({}),
      'POST work_pools/my pool/pause': () => ({}),
      'POST schedules/preview': () => ({
        description: 'At 09:00',
        next_runs: []
      }),
      'notebooks/parameters': () => ({ type: 'object', properties: {} })
    };
    routes['POST work_pools/my%20pool/pause'] = () => ({});
    const api = fakeAPI(routes);
    const model = makeModel(api.request);
    await model.pauseDeployment('d1');
    await model.resumeDeployment('d1');
    await model.deleteDeployment('d1');
    const created = await model.runDeployment('d1', { n: 2 });
    expect(created.parameters).toEqual({ n: 2 });
    await model.cancelRun('r1');
    await model.retryRun('r1');
    await model.pauseWorkPool('my pool');
    const preview = await model.previewSchedule(
      { cron: '0 9 * * *', timezone: 'UTC' },
      3
    );
    expect(preview.description).toBe('At 09:00');
    await model.notebookParameters('dir/nb.ipynb');
    const actions = api.calls
      .filter(c => c.method !== 'GET')
      .map(c => `${c.method} ${c.path}`);
    expect(actions).toEqual([
      'POST deployments/d1/pause',
      'POST deployments/d1/resume',
      'DELETE deployments/d1',
      'POST deployments/d1/create_flow_run',
      'POST flow_runs/r1/cancel',
      'POST flow_runs/r1/retry',
      'POST work_pools/my%20pool/pause',
      'POST schedules/preview'
    ]);
    expect(api.calls.find(c => c.path === 'schedules/preview')!.body).toEqual({
      cron: '0 9 * * *',
      timezone: 'UTC',
      count: 3
    });
    expect(
      api.calls.find(c => c.path === 'notebooks/parameters')!.query
    ).toEqual({
      path: 'dir/nb.ipynb'
    });
    // Every action is followed by a refresh of the lists.
    expect(
      api.calls.filter(c => c.path === 'deployments' && c.method === 'GET')
        .length
    ).toBeGreaterThanOrEqual(4);
  });

  it('propagates action errors to the caller', async () => {
    const api = fakeAPI({
      ...baseRoutes(() => []),
      'POST deployments/d1/create_flow_run': () => {
        throw new OrchAPIError(
          "parameter 'n': must be an integer",
          422,
          'invalid',
          'n'
        );
      }
    });
    const model = makeModel(api.request);
    await expect(model.runDeployment('d1', { n: 'x' })).rejects.toThrow(
      /must be an integer/
    );
  });

  it('changes the poll frequency with the refresh interval', () => {
    const api = fakeAPI(baseRoutes(() => []));
    const model = makeModel(api.request);
    model.refreshInterval = 12000;
    expect(model.refreshInterval).toBe(12000);
    model.refreshInterval = -1;
    expect(model.refreshInterval).toBe(12000);
  });
});

describe('RunModel', () => {
  it('follows logs with after_id and slows down once the run is final', async () => {
    let state: IFlowRun['state_type'] = 'RUNNING';
    const logBatches = [
      [
        {
          id: 1,
          level: 20,
          message: 'start',
          timestamp: '2024-01-01T00:00:00Z'
        },
        {
          id: 2,
          level: 20,
          message: 'working',
          timestamp: '2024-01-01T00:00:01Z'
        }
      ],
      [],
      [{ id: 3, level: 40, message: 'done', timestamp: '2024-01-01T00:00:02Z' }]
    ];
    const api = fakeAPI({
      ...baseRoutes(() => []),
      'flow_runs/r1': () => run('r1', state),
      'flow_runs/r1/states': () => [
        { type: 'PENDING', name: 'Pending', timestamp: '2024-01-01T00:00:00Z' }
      ],
      'flow_runs/r1/graph/slim': () => ({
        task_runs: [],
        subflow_runs: []
      }),
      artifacts: () => page([]),
      logs: () => page(logBatches.shift() ?? [])
    });
    const model = makeModel(api.request);
    const runModel = new RunModel({
      model,
      runId: 'r1',
      autoStart: false,
      refreshInterval: 1000
    });
    models.push(runModel);
    let changes = 0;
    runModel.changed.connect(() => changes++);

    await runModel.refresh();
    expect(runModel.run?.state_type).toBe('RUNNING');
    expect(runModel.logs.map(l => l.id)).toEqual([1, 2]);
    expect(changes).toBe(1);

    await runModel.refresh(); // nothing new
    expect(changes).toBe(1);

    state = 'COMPLETED';
    await runModel.refresh();
    expect(runModel.logs.map(l => l.message)).toEqual([
      'start',
      'working',
      'done'
    ]);
    expect(changes).toBe(2);

    const afterIds = api.calls
      .filter(c => c.path === 'logs')
      .map(c => c.query?.after_id);
    expect(afterIds).toEqual([undefined, 2, 2]);
    expect((runModel as any)._poll.frequency.interval).toBe(10000);
  });

  it('shows the error of a missing run', async () => {
    const api = fakeAPI({
      'flow_runs/nope': () => {
        throw new OrchAPIError('flow run nope not found', 404, 'not_found');
      },
      'flow_runs/nope/states': () => [],
      'flow_runs/nope/graph/slim': () => ({
        task_runs: [],
        subflow_runs: []
      }),
      artifacts: () => page([]),
      logs: () => page([])
    });
    const model = makeModel(api.request);
    const runModel = new RunModel({ model, runId: 'nope', autoStart: false });
    models.push(runModel);
    await runModel.refresh();
    expect(runModel.error).toBe('flow run nope not found');
    expect(runModel.run).toBeNull();
  });
});
