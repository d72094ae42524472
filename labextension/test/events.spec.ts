import { ServerConnection } from '@jupyterlab/services';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { EventStream, eventsUrl, IOrchEvent, matches } from '../src/events';
import { LiveResource } from '../src/live';
import { RunModel } from '../src/runModel';
import { IOrchModel } from '../src/tokens';

/** A WebSocket stand-in the tests open, message and close by hand. */
class FakeSocket {
  static sockets: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.sockets.push(this);
  }
  open() {
    this.onopen?.();
  }
  send(event: IOrchEvent) {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
  close() {
    this.closed = true;
    this.onclose?.();
  }
}

function settings(token = 'secret'): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://host/base/',
    wsUrl: 'ws://host/base/',
    token,
    appendToken: true,
    WebSocket: FakeSocket as unknown as typeof WebSocket
  });
}

const disposables: { dispose(): void }[] = [];
afterEach(() => {
  disposables.splice(0).forEach(d => d.dispose());
  FakeSocket.sockets = [];
  vi.useRealTimers();
});

describe('matches', () => {
  it('filters by kind and ids; a flow run event matches its own id', () => {
    const run: IOrchEvent = {
      kind: 'flow_run',
      id: 'r1',
      flow_run_id: 'r1',
      deployment_id: 'd1'
    };
    expect(matches(run, { kind: ['flow_run'] })).toBe(true);
    expect(matches(run, { kind: ['log'] })).toBe(false);
    expect(matches(run, { flow_run_id: 'r1' })).toBe(true);
    expect(matches({ kind: 'flow_run', id: 'r1' }, { flow_run_id: 'r1' })).toBe(
      true
    );
    expect(matches(run, { flow_run_id: 'r2' })).toBe(false);
    expect(matches(run, { deployment_id: 'd2' })).toBe(false);
    expect(
      matches({ kind: 'overflow', dropped: 3 }, { flow_run_id: 'x' })
    ).toBe(true);
  });
});

describe('EventStream', () => {
  it('connects with the token, dispatches to matching subscribers, and reconnects', async () => {
    vi.useFakeTimers();
    const stream = new EventStream({ settings: settings(), minDelay: 100 });
    disposables.push(stream);
    expect(FakeSocket.sockets).toHaveLength(0); // lazy until somebody listens
    const got: IOrchEvent[] = [];
    const changes: boolean[] = [];
    stream.connectionChanged.connect((_, c) => changes.push(c));
    const sub = stream.subscribe({ flow_run_id: 'r1' }, e => got.push(e));
    expect(FakeSocket.sockets).toHaveLength(1);
    const socket = FakeSocket.sockets[0];
    expect(socket.url).toBe('ws://host/base/orch/api/events?token=secret');
    socket.open();
    expect(stream.connected).toBe(true);
    socket.send({ kind: 'flow_run', id: 'r1', state_type: 'RUNNING' });
    socket.send({ kind: 'flow_run', id: 'r2', state_type: 'RUNNING' });
    socket.send({ kind: 'log', flow_run_id: 'r1', message: 'hi' });
    expect(got.map(e => e.kind)).toEqual(['flow_run', 'log']);

    socket.close();
    expect(stream.connected).toBe(false);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.sockets).toHaveLength(2);
    FakeSocket.sockets[1].open();
    expect(changes).toEqual([true, false, true]);
    sub.dispose();
    FakeSocket.sockets[1].send({ kind: 'flow_run', id: 'r1' });
    expect(got).toHaveLength(2);
  });

  it('leaves the token out when there is none', () => {
    expect(eventsUrl(settings(''))).toBe('ws://host/base/orch/api/events');
  });
});

describe('LiveResource', () => {
  it('reloads after matching events, once per burst', async () => {
    const stream = new EventStream({ settings: settings() });
    disposables.push(stream);
    let loads = 0;
    const resource = new LiveResource<number>({
      fetch: async () => ++loads,
      events: stream,
      filter: { kind: ['flow_run'] },
      debounce: 20,
      autoStart: false
    });
    disposables.push(resource);
    await resource.refresh();
    const before = loads;
    for (let i = 0; i < 5; i++) {
      stream.dispatch({ kind: 'flow_run', id: `r${i}` });
    }
    stream.dispatch({ kind: 'log', id: 1 });
    await vi.waitFor(() => expect(loads).toBeGreaterThan(before));
    await new Promise(r => setTimeout(r, 60));
    expect(loads - before).toBe(1);
    expect(resource.data).toBe(loads);
  });
});

/** A RunModel of run r1 on a fake model: no tasks, states, artifacts or logs unless given. */
function runModelOf(
  stream: EventStream,
  parts: Record<string, () => Promise<unknown>>
): RunModel {
  const model = {
    refreshInterval: 2000,
    events: stream,
    getRunStates: async () => [],
    getGraph: async () => ({ task_runs: [], subflow_runs: [] }),
    getArtifacts: async () => [],
    getLogs: async () => [],
    ...parts
  } as unknown as IOrchModel;
  const run = new RunModel({ model, runId: 'r1', autoStart: false });
  disposables.push(run);
  return run;
}

describe('RunModel with events', () => {
  it('shows each state as its event arrives, and an older answer never steps back', async () => {
    const stream = new EventStream({ settings: settings() });
    disposables.push(stream);
    let state: 'PENDING' | 'RUNNING' | 'COMPLETED' = 'PENDING';
    const t0 = Date.now();
    const iso = (s: number) => new Date(t0 + s * 1000).toISOString();
    const run = runModelOf(stream, {
      getRun: async () => ({
        id: 'r1',
        name: 'run',
        flow_id: 'f',
        flow_name: 'flow',
        deployment_id: null,
        state_type: state,
        state_name: state,
        state: { type: state, name: state, timestamp: iso(0) },
        expected_start_time: null,
        start_time: null,
        end_time: null,
        parameters: {},
        tags: [],
        created: iso(0)
      }),
      getRunStates: async () => [
        { type: state, name: state, timestamp: iso(0) }
      ]
    });
    await run.refresh();
    expect(run.run?.state_type).toBe('PENDING');
    stream.dispatch({
      kind: 'flow_run',
      id: 'r1',
      state_type: 'RUNNING',
      state_name: 'Running',
      timestamp: iso(1)
    });
    // Applied at once, before any request.
    expect(run.run?.state_type).toBe('RUNNING');
    // The server still answers PENDING (read before the commit): the newer event wins.
    await run.refresh();
    expect(run.run?.state_type).toBe('RUNNING');
    state = 'COMPLETED';
    stream.dispatch({
      kind: 'flow_run',
      id: 'r1',
      state_type: 'COMPLETED',
      state_name: 'Completed',
      timestamp: iso(2)
    });
    expect(run.seen).toEqual(['PENDING', 'RUNNING', 'COMPLETED']);
  });

  it("a task run's state event gives the graph a new task object (its node is memoized on it)", async () => {
    const stream = new EventStream({ settings: settings() });
    disposables.push(stream);
    const task = (id: string) => ({
      id,
      name: id,
      state_type: 'RUNNING',
      state_name: 'Running',
      run_count: 1,
      upstream: []
    });
    const run = runModelOf(stream, {
      getRun: async () => ({ id: 'r1', name: 'run', state_type: 'RUNNING' }),
      getGraph: async () => ({
        task_runs: [task('t1'), task('t2')],
        subflow_runs: []
      })
    });
    await run.refresh();
    const [t1, t2] = run.graph.task_runs;
    let changes = 0;
    run.changed.connect(() => changes++);
    stream.dispatch({
      kind: 'task_run',
      id: 't1',
      flow_run_id: 'r1',
      state_type: 'COMPLETED',
      state_name: 'Completed'
    });
    expect(changes).toBe(1);
    const [u1, u2] = run.graph.task_runs;
    expect(u1).not.toBe(t1);
    expect(u1.state_type).toBe('COMPLETED');
    expect(u1.state_name).toBe('Completed');
    expect(t1.state_type).toBe('RUNNING');
    expect(u2).toBe(t2);
  });
});
