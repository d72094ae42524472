/**
 * {@link RunModel}: everything a run page shows, for one flow run.
 *
 * With the event feed up, a state change is applied to the page the moment
 * its event arrives (so Scheduled → Pending → Running → Completed are all
 * seen, however fast the run), then the full data is reloaded once the burst
 * of events settles. Without the feed it polls, as before.
 */
import { IDisposable } from '@lumino/disposable';
import { Debouncer, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IEventStream, IOrchEvent } from './events';
import { isFinal } from './model';
import { measureSince } from './perf';
import { errorMessage, OrchAPIError } from './request';
import {
  IArtifact,
  IFlowRun,
  IJSONSchema,
  ILogRecord,
  IOrchModel,
  IRunGraph,
  IState,
  StateType
} from './tokens';

/** Frequency settings for a Poll refreshing every `interval` ms. */
function frequency(interval: number) {
  return { interval, backoff: true, max: Math.max(interval * 6, 60000) };
}

/** How often a run page polls while the event feed is up: only a safety net. */
const LIVE_INTERVAL = 30000;

export namespace RunModel {
  export interface IOptions {
    model: IOrchModel;
    runId: string;
    refreshInterval?: number;
    autoStart?: boolean;
    /** The live event feed; defaults to the model's. */
    events?: IEventStream | null;
  }
}

export class RunModel implements IDisposable {
  constructor(options: RunModel.IOptions) {
    this._model = options.model;
    this.runId = options.runId;
    this._interval =
      options.refreshInterval ?? Math.min(options.model.refreshInterval, 2000);
    this._events =
      options.events !== undefined
        ? options.events
        : (options.model.events ?? null);
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this._fetch(),
      frequency: frequency(this._pollInterval()),
      name: `jupyter-orch:run:${options.runId}`,
      standby: 'when-hidden'
    });
    this._debouncer = new Debouncer(() => this.refresh(), 80);
    if (this._events) {
      this._subscription = this._events.subscribe(
        { flow_run_id: this.runId },
        event => this._onEvent(event)
      );
      this._events.connectionChanged.connect(this._onConnection, this);
    }
  }

  readonly runId: string;
  run: IFlowRun | null = null;
  states: IState[] = [];
  graph: IRunGraph = { task_runs: [], subflow_runs: [] };
  logs: ILogRecord[] = [];
  artifacts: IArtifact[] = [];
  error: string | null = null;
  /** Every state type this page has shown, in order (the live history, even for fast runs). */
  seen: StateType[] = [];

  get changed(): ISignal<RunModel, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  async refresh(): Promise<void> {
    try {
      await this._fetch();
    } catch {
      // Recorded in this.error.
    }
  }

  async cancel(): Promise<void> {
    await this._model.cancelRun(this.runId);
    await this._restart();
  }

  async retry(): Promise<void> {
    await this._model.retryRun(this.runId);
    await this._restart();
  }

  /**
   * The JSON schema of the input a pause waits for (stored by the flow under
   * `<pause key>-schema`); null when the pause waits for no input.
   */
  async pauseInputSchema(pauseKey: string): Promise<IJSONSchema | null> {
    const key = encodeURIComponent(`${pauseKey}-schema`);
    try {
      const input = await this._model.request<{ value: IJSONSchema | null }>(
        `flow_runs/${this.runId}/input/${key}`
      );
      return input.value ?? null;
    } catch (error) {
      if (error instanceof OrchAPIError && error.status === 404) {
        return null;
      }
      throw error;
    }
  }

  /** Resume a paused run with the input it waits for; a refusal is an error. */
  async resume(runInput: Record<string, unknown> | null): Promise<void> {
    const answer = await this._model.request<{
      status: string;
      reason?: string;
    }>(`flow_runs/${this.runId}/resume`, {
      method: 'POST',
      body: { run_input: runInput }
    });
    if (answer.status !== 'ACCEPT') {
      throw new Error(answer.reason || answer.status);
    }
    await this._restart();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._subscription?.dispose();
    this._events?.connectionChanged.disconnect(this._onConnection, this);
    this._debouncer.dispose();
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Apply an event at once, then reload the rest when the burst settles. */
  private _onEvent(event: IOrchEvent): void {
    if (
      event.kind === 'flow_run' &&
      event.id === this.runId &&
      event.state_type
    ) {
      this._applyRunState(event);
    } else if (event.kind === 'task_run' && event.state_type) {
      this._applyTaskState(event);
    }
    void this._debouncer.invoke();
  }

  /**
   * A task run's new state, as a new task object in a new list: the graph's
   * nodes are memoized on their task object, so one changed in place would
   * keep its old state on screen until the next full load.
   */
  private _applyTaskState(event: IOrchEvent): void {
    const tasks = this.graph.task_runs;
    const i = tasks.findIndex(t => t.id === event.id);
    if (i < 0) {
      return;
    }
    const task = {
      ...tasks[i],
      state_type: event.state_type as StateType,
      state_name: event.state_name ?? tasks[i].state_name
    };
    this.graph = {
      ...this.graph,
      task_runs: [...tasks.slice(0, i), task, ...tasks.slice(i + 1)]
    };
    this._changed.emit();
  }

  private _applyRunState(event: IOrchEvent): void {
    const timestamp = event.timestamp ?? new Date().toISOString();
    const state: IState = {
      id: `event:${event.id}:${timestamp}`,
      type: event.state_type as StateType,
      name: event.state_name ?? String(event.state_type),
      message: event.message ?? null,
      timestamp
    };
    this._eventState = state;
    if (this.run) {
      this.run = {
        ...this.run,
        state_type: state.type,
        state_name: state.name,
        state_message: state.message
      };
    }
    const last = this.states[this.states.length - 1];
    if (
      !last ||
      last.timestamp !== state.timestamp ||
      last.type !== state.type
    ) {
      this.states = [...this.states, state];
    }
    this._see(state.type);
    this._poll.frequency = frequency(this._pollInterval());
    this._changed.emit();
  }

  private _see(type: StateType): void {
    if (this.seen[this.seen.length - 1] !== type) {
      this.seen = [...this.seen, type];
    }
  }

  private _pollInterval(): number {
    if (this._events?.connected) {
      return LIVE_INTERVAL;
    }
    // A finished run only changes through Retry; check on it rarely.
    return isFinal(this.run) ? this._interval * 10 : this._interval;
  }

  private _onConnection(_: IEventStream, connected: boolean): void {
    this._poll.frequency = frequency(this._pollInterval());
    if (connected) {
      void this.refresh();
    }
  }

  /** Poll fast again after an action brought the run back to life. */
  private async _restart(): Promise<void> {
    this._poll.frequency = frequency(this._pollInterval());
    await this.refresh();
  }

  private async _fetch(): Promise<void> {
    const id = this.runId;
    const ticket = ++this._ticket;
    const started = performance.now();
    try {
      const [run, states, graph, artifacts] = await Promise.all([
        this._model.getRun(id),
        this._model.getRunStates(id),
        this._model.getGraph(id),
        this._model.getArtifacts(id)
      ]);
      const logs = await this._model.getLogs(id, this._lastLogId());
      if (ticket !== this._ticket || this.isDisposed) {
        // A newer load started meanwhile; its answer is at least as fresh.
        return;
      }
      measureSince('run-page-requests', started);
      this._keepNewerEventState(run, states);
      const serialized = JSON.stringify([run, states, graph, artifacts]);
      const changed =
        serialized !== this._serialized || logs.length > 0 || this.error;
      this._serialized = serialized;
      this.run = run;
      this.states = states;
      this.graph = graph;
      this.artifacts = artifacts;
      this.logs = logs.length
        ? [...this.logs, ...logs.filter(l => !this._logIds.has(l.id))]
        : this.logs;
      logs.forEach(l => this._logIds.add(l.id));
      this.error = null;
      if (run.state_type) {
        this._see(run.state_type);
      }
      const interval = this._pollInterval();
      if (this._poll.frequency.interval !== interval) {
        this._poll.frequency = frequency(interval);
      }
      if (changed) {
        this._changed.emit();
      }
    } catch (error) {
      const message = errorMessage(error);
      if (message !== this.error) {
        this.error = message;
        this._changed.emit();
      }
      throw error;
    }
  }

  /**
   * An event newer than what a (slower) request read wins: the page never
   * steps back from Running to Pending because an answer was in flight.
   */
  private _keepNewerEventState(run: IFlowRun, states: IState[]): void {
    const ev = this._eventState;
    if (!ev) {
      return;
    }
    const read = Date.parse(
      run.state?.timestamp ?? states[states.length - 1]?.timestamp ?? ''
    );
    if (Number.isNaN(read) || Date.parse(ev.timestamp) > read) {
      run.state_type = ev.type;
      run.state_name = ev.name;
      run.state_message = ev.message;
      states.push(ev);
    } else {
      this._eventState = null;
    }
  }

  private _lastLogId(): number | string | null {
    return this.logs.length ? this.logs[this.logs.length - 1].id : null;
  }

  private _model: IOrchModel;
  private _events: IEventStream | null;
  private _subscription: IDisposable | null = null;
  private _debouncer: Debouncer;
  private _interval: number;
  private _poll: Poll;
  private _serialized = '';
  private _ticket = 0;
  private _eventState: IState | null = null;
  private _logIds = new Set<number | string>();
  private _changed = new Signal<RunModel, void>(this);
}
