import { describe, expect, it } from 'vitest';

import { fieldError, pauseKeyOf } from '../src/runInput';
import { schemaToFields } from '../src/paramForm';
import { OrchAPIError, Requester } from '../src/request';
import { RunModel } from '../src/runModel';
import { IFlowRun, IOrchModel } from '../src/tokens';

const APPROVAL = {
  title: 'Approval',
  type: 'object',
  properties: {
    approved: { title: 'Approved', type: 'boolean' },
    count: { title: 'Count', type: 'integer' }
  },
  required: ['approved', 'count']
};

function runModel(routes: Record<string, (body: unknown) => unknown>) {
  const calls: { path: string; method: string; body: unknown }[] = [];
  const request: Requester = async <T>(
    path: string,
    init: { method?: string; body?: unknown } = {}
  ) => {
    const method = init.method ?? 'GET';
    calls.push({ path, method, body: init.body });
    const handler = routes[`${method} ${path}`];
    if (!handler) {
      throw new OrchAPIError(`no route ${path}`, 404, 'not_found');
    }
    return handler(init.body) as T;
  };
  const model = {
    request,
    refreshInterval: 1000,
    events: null
  } as unknown as IOrchModel;
  return {
    calls,
    model: new RunModel({ model, runId: 'r1', autoStart: false, events: null })
  };
}

describe('resume with input', () => {
  it('finds the pause key in the state data, else the default', () => {
    const state = {
      id: 's',
      type: 'PAUSED',
      name: 'Paused',
      timestamp: '2024-01-01T00:00:00Z'
    } as const;
    const paused = { state: { ...state, data: { pause_key: 'approve-1' } } };
    expect(pauseKeyOf(paused as Pick<IFlowRun, 'state'>)).toBe('approve-1');
    expect(pauseKeyOf({ state: { ...state, data: null } })).toBe('paused');
    expect(pauseKeyOf({ state: null })).toBe('paused');
  });

  it('puts a 422 naming run_input.<field> on that field', () => {
    const fields = schemaToFields(APPROVAL);
    const error = new OrchAPIError(
      "run_input.count: 'x' is not of type 'integer'",
      422,
      'invalid',
      'run_input.count'
    );
    expect(fieldError(error, fields)).toEqual({
      name: 'count',
      message: "'x' is not of type 'integer'"
    });
    const other = new OrchAPIError('expired', 409, 'conflict', 'id');
    expect(fieldError(other, fields)).toBeNull();
    expect(fieldError(new Error('boom'), fields)).toBeNull();
  });

  it('reads the input schema of a pause (none when absent) and resumes with it', async () => {
    const { model, calls } = runModel({
      'GET flow_runs/r1/input/approve-schema': () => ({ value: APPROVAL }),
      'POST flow_runs/r1/resume': () => ({ status: 'ACCEPT', reason: '' })
    });
    expect(await model.pauseInputSchema('approve')).toEqual(APPROVAL);
    expect(await model.pauseInputSchema('paused')).toBeNull();
    await model.resume({ approved: true, count: 2 });
    expect(calls.find(c => c.method === 'POST')).toEqual({
      path: 'flow_runs/r1/resume',
      method: 'POST',
      body: { run_input: { approved: true, count: 2 } }
    });
    model.dispose();
  });

  it('shows a refused resume as an error', async () => {
    const { model } = runModel({
      'POST flow_runs/r1/resume': () => ({
        status: 'REJECT',
        reason: 'run is not paused'
      })
    });
    await expect(model.resume(null)).rejects.toThrow('run is not paused');
    model.dispose();
  });
});
