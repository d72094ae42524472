import { describe, expect, it } from 'vitest';

import {
  buildDeployment,
  createFormState,
  notebookStem
} from '../src/schedule';
import {
  describeInterval,
  isOnline,
  scheduleText,
  storageText,
  tableRows,
  toServerPath,
  workerCommand
} from '../src/format';
import { layoutGraph } from '../src/graphLayout';
import { buildPath, errorFromResponse } from '../src/request';
import { schemaToFields } from '../src/paramForm';
import { notificationText, notificationType } from '../src/notifications';

describe('request helpers', () => {
  it('repeats array query values and drops empty ones', () => {
    expect(
      buildPath('flow_runs', {
        tags: ['a', 'b c'],
        state_type: [],
        name: '',
        limit: 5
      })
    ).toBe('flow_runs?tags=a&tags=b%20c&limit=5');
    expect(buildPath('flows')).toBe('flows');
  });

  it('uses the server message of an error answer', () => {
    const e = errorFromResponse(
      422,
      { error: 'invalid', message: 'cron: bad field', field: 'cron' },
      ''
    );
    expect(e.message).toBe('cron: bad field');
    expect(e.status).toBe(422);
    expect(e.field).toBe('cron');
    expect(
      errorFromResponse(404, null, '<html>404: Not Found</html>').message
    ).toMatch(/server extension/);
    expect(errorFromResponse(502, null, '<h1>Bad gateway</h1>').message).toBe(
      'Request failed (502): Bad gateway'
    );
  });
});

describe('schedule dialog', () => {
  it('builds a notebook deployment from the form', () => {
    const state = createFormState('reports/daily report.ipynb');
    expect(state.name).toBe('daily report');
    state.fields = schemaToFields({
      properties: { n: { type: 'integer', default: 1 } }
    });
    state.values = { n: '5' };
    state.mode = 'interval';
    state.interval = '2';
    state.unit = 'h';
    state.timezone = 'Europe/Paris';
    state.workPool = 'gpu';
    expect(buildDeployment(state)).toEqual({
      name: 'daily report',
      flow_name: 'daily report',
      kind: 'notebook',
      path: 'reports/daily report.ipynb',
      parameters: { n: 5 },
      schedules: [{ interval: 7200, timezone: 'Europe/Paris', active: true }],
      work_pool_name: 'gpu'
    });
  });

  it('rejects a bad name, cron and parameters', () => {
    const state = createFormState('nb.ipynb');
    state.name = '  ';
    state.cron = '* *';
    state.fields = schemaToFields({
      properties: { n: { type: 'integer' } },
      required: ['n']
    });
    state.values = { n: 'x' };
    expect(buildDeployment(state)).toBeNull();
    expect(Object.keys(state.errors).sort()).toEqual(['cron', 'n', 'name']);
  });

  it('allows no schedule', () => {
    const state = createFormState('a/b.ipynb');
    state.mode = 'none';
    expect(buildDeployment(state)?.schedules).toEqual([]);
    expect(notebookStem('x/y/z.IPYNB')).toBe('z');
  });
});

describe('formatting', () => {
  it('maps output locations into the server root', () => {
    expect(toServerPath('/home/u/work/out/run.ipynb', '/home/u/work')).toBe(
      'out/run.ipynb'
    );
    expect(toServerPath('file:///home/u/work/run.ipynb', '/home/u/work/')).toBe(
      'run.ipynb'
    );
    expect(toServerPath('out/run.ipynb', '/home/u/work')).toBe('out/run.ipynb');
    expect(toServerPath('/elsewhere/run.ipynb', '/home/u/work')).toBeNull();
    expect(toServerPath('/home/u/workshop/x.ipynb', '/home/u/work')).toBeNull();
    expect(toServerPath('s3://bucket/run.ipynb', '/home/u/work')).toBeNull();
  });

  it('describes intervals and schedules', () => {
    expect(describeInterval(5400)).toBe('every 1 h 30 min');
    expect(describeInterval(86400)).toBe('every 1 d');
    expect(
      scheduleText({
        schedule: { cron: '0 9 * * *', timezone: 'UTC' },
        active: true
      })
    ).toBe('cron 0 9 * * * (UTC)');
    expect(
      scheduleText({
        schedule: { interval: 60 },
        active: true,
        description: 'Every minute'
      })
    ).toBe('Every minute');
  });

  it('quotes pool names for the worker command', () => {
    expect(workerCommand('default')).toBe(
      'jupyter orch worker start --pool default'
    );
    expect(workerCommand("my pool's")).toBe(
      `jupyter orch worker start --pool 'my pool'\\''s'`
    );
    const now = Date.parse('2024-01-01T00:01:00Z');
    expect(
      isOnline({ name: 'w', last_heartbeat_time: '2024-01-01T00:00:30Z' }, now)
    ).toBe(true);
    expect(
      isOnline({ name: 'w', last_heartbeat_time: '2023-12-31T23:00:00Z' }, now)
    ).toBe(false);
  });

  it('reads table artifacts in the three shapes', () => {
    expect(
      tableRows([
        { a: 1, b: 2 },
        { a: 3, c: 4 }
      ])
    ).toEqual({
      columns: ['a', 'b', 'c'],
      rows: [
        [1, 2, undefined],
        [3, undefined, 4]
      ]
    });
    expect(tableRows([[1, 2]])).toEqual({ columns: [], rows: [[1, 2]] });
    expect(tableRows({ x: [1, 2], y: ['a', 'b'] })).toEqual({
      columns: ['x', 'y'],
      rows: [
        [1, 'a'],
        [2, 'b']
      ]
    });
    expect(tableRows('[{"k": "v"}]')).toEqual({
      columns: ['k'],
      rows: [['v']]
    });
  });

  it('maps notification messages to types and text', () => {
    expect(notificationType({ created: '', state_name: 'Failed' })).toBe(
      'error'
    );
    expect(notificationType({ created: '', state_name: 'Completed' })).toBe(
      'success'
    );
    expect(
      notificationText({
        created: '',
        subject: 'Run failed',
        body: { message: 'boom' }
      })
    ).toBe('Run failed — boom');
    // The server's shape: subject is the rendered text, body the values behind it.
    const delivery = {
      created: '',
      subject: 'Flow run etl/run-1 entered Failed: boom',
      body: {
        text: 'Flow run etl/run-1 entered Failed: boom',
        state_name: 'Failed',
        state_type: 'FAILED'
      }
    };
    expect(notificationText(delivery)).toBe(
      'Flow run etl/run-1 entered Failed: boom'
    );
    expect(notificationType(delivery)).toBe('error');
    expect(
      notificationType({ created: '', body: { state_type: 'COMPLETED' } })
    ).toBe('success');
  });
});

describe('layoutGraph', () => {
  const task = (id: string) => ({
    id,
    name: id,
    flow_run_id: 'r',
    state_type: 'COMPLETED' as const,
    state_name: 'Completed',
    start_time: null,
    end_time: null
  });

  it('places upstream tasks left of downstream ones', () => {
    const g = layoutGraph(
      [task('a'), task('b'), task('c')],
      [
        { upstream_id: 'a', downstream_id: 'b' },
        { upstream_id: 'b', downstream_id: 'c' },
        { upstream_id: 'a', downstream_id: 'ghost' }
      ]
    );
    const x = Object.fromEntries(g.nodes.map(n => [n.task.id, n.x]));
    expect(x.a).toBeLessThan(x.b);
    expect(x.b).toBeLessThan(x.c);
    expect(g.edges).toHaveLength(2);
    expect(g.edges[0].points.length).toBeGreaterThanOrEqual(2);
    expect(g.width).toBeGreaterThan(3 * 100);
  });
});

describe('storageText', () => {
  it('says a notebook deployment is a snapshot, with when it was taken', () => {
    const text = storageText({
      storage: {
        type: 'snapshot',
        source: '/home/me/etl/daily.ipynb',
        snapshot_time: '2026-01-02T03:04:05Z'
      }
    });
    expect(text).toMatch(/^Snapshot of daily\.ipynb taken /);
  });
  it('says a live deployment reads the file at run time', () => {
    expect(
      storageText({ storage: { type: 'live', source: 'reports/daily.ipynb' } })
    ).toBe('Live: reads daily.ipynb at run time');
  });
  it('says nothing for a deployment without storage', () => {
    expect(storageText({ storage: {}, entrypoint: 'flows.py:etl' })).toBeNull();
    expect(storageText({})).toBeNull();
  });
});
