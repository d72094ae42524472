/**
 * Client-side models: {@link OrchModel} for the sidebar (runs, deployments,
 * work pools, dashboard counts) and {@link RunModel} for one run page.
 *
 * Both poll with @lumino/polling so they back off on errors and slow down
 * while the browser tab is hidden ("when-hidden" standby).
 */
import { IDisposable } from '@lumino/disposable';
import { Debouncer, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IEventStream } from './events';
import { errorMessage, requestAPI, Requester } from './request';
import {
  emptySidebar,
  fetchSidebar,
  isFinal,
  ISidebarData,
  runQuery,
  unwrapItems
} from './sidebarData';
import {
  IArtifact,
  IDeployment,
  IDeploymentCreate,
  IFlow,
  IFlowRun,
  IRunGraph,
  IJSONSchema,
  ILogRecord,
  INotificationMessage,
  IOrchModel,
  IPage,
  IRunCounts,
  IRunFilter,
  ISchedulePreview,
  IState,
  IWorker,
  IWorkPool
} from './tokens';

export const DEFAULT_REFRESH_INTERVAL = 5000;

/** Frequency settings for a Poll refreshing every `interval` ms. */
function frequency(interval: number) {
  return { interval, backoff: true, max: Math.max(interval * 6, 60000) };
}

export namespace OrchModel {
  export interface IOptions {
    /** Transport; defaults to the Jupyter server connection. */
    request?: Requester;
    refreshInterval?: number;
    /** Start polling immediately (default true); tests drive refresh() by hand. */
    autoStart?: boolean;
    /** Clock, injectable for tests. */
    now?: () => Date;
    /** The live event feed: run changes refresh the lists at once. */
    events?: IEventStream | null;
  }
}

/** While the event feed is up, the sidebar polls this many times less often (deployments, pools). */
const LIVE_SLOWDOWN = 3;

export class OrchModel implements IOrchModel {
  constructor(options: OrchModel.IOptions = {}) {
    this._request = options.request ?? requestAPI;
    this._now = options.now ?? (() => new Date());
    this._interval = options.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
    this._events = options.events ?? null;
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this._fetchAll(),
      frequency: frequency(this._interval),
      name: 'jupyter-orch:model',
      standby: 'when-hidden'
    });
    this._debouncer = new Debouncer(() => this.refresh(), 250);
    if (this._events) {
      this._subscription = this._events.subscribe(
        { kind: ['flow_run'] },
        () => {
          void this._debouncer.invoke();
        }
      );
      this._events.connectionChanged.connect(this._onConnection, this);
      this._onConnection(this._events, this._events.connected);
    }
  }

  /** The live event feed, or null when the model only polls. */
  get events(): IEventStream | null {
    return this._events;
  }

  /** A request to `/orch/api/<path>` through the model's transport (pages load their own data). */
  readonly request: Requester = <T>(
    path: string,
    init?: Parameters<Requester>[1]
  ) => this._request<T>(path, init);

  get changed(): ISignal<IOrchModel, void> {
    return this._changed;
  }
  get errorChanged(): ISignal<IOrchModel, string | null> {
    return this._errorChanged;
  }
  get runs(): IFlowRun[] {
    return this._data.runs;
  }
  get deployments(): IDeployment[] {
    return this._data.deployments;
  }
  get workPools(): IWorkPool[] {
    return this._data.workPools;
  }
  get workers(): IWorker[] {
    return this._data.workers;
  }
  get flows(): IFlow[] {
    return this._data.flows;
  }
  /** Failed or crashed runs of the last 24 h, newest first. */
  get failedRuns(): IFlowRun[] {
    return this._data.failedRuns;
  }
  /** Runs in the Late state (scheduled but not started in time). */
  get lateRuns(): IFlowRun[] {
    return this._data.lateRuns;
  }
  get counts(): IRunCounts | null {
    return this._data.counts;
  }
  get error(): string | null {
    return this._error;
  }
  get loaded(): boolean {
    return this._loaded;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  get runFilter(): IRunFilter {
    return this._filter;
  }
  set runFilter(filter: IRunFilter) {
    this._filter = { ...filter };
    void this.refresh();
  }

  get refreshInterval(): number {
    return this._interval;
  }
  set refreshInterval(ms: number) {
    if (!(ms > 0) || ms === this._interval) {
      return;
    }
    this._interval = ms;
    this._poll.frequency = frequency(this._pollInterval());
  }

  private _pollInterval(): number {
    return this._events?.connected
      ? this._interval * LIVE_SLOWDOWN
      : this._interval;
  }

  private _onConnection(_: IEventStream, connected: boolean): void {
    this._poll.frequency = frequency(this._pollInterval());
    if (connected) {
      void this.refresh();
    }
  }

  /** Fetch everything now; failures are recorded in `error`, not thrown. */
  async refresh(): Promise<void> {
    try {
      await this._fetchAll();
    } catch {
      // Already recorded in this.error and shown by the views.
    }
  }

  /** Query string for the run list, named after the API's filter fields. */
  runQuery(): Record<string, string | number | string[]> {
    return runQuery(this._filter);
  }

  getRun(id: string): Promise<IFlowRun> {
    return this._request<IFlowRun>(`flow_runs/${id}`);
  }
  getRunStates(id: string): Promise<IState[]> {
    return this._request<IState[] | IPage<IState>>(
      `flow_runs/${id}/states`
    ).then(unwrapItems);
  }
  getGraph(id: string): Promise<IRunGraph> {
    return this._request<IRunGraph>(`flow_runs/${id}/graph/slim`);
  }
  async getLogs(
    flowRunId: string,
    afterId?: number | string | null
  ): Promise<ILogRecord[]> {
    const page = await this._request<IPage<ILogRecord>>('logs', {
      query: {
        flow_run_id: flowRunId,
        after_id: afterId ?? undefined,
        limit: 500
      }
    });
    return unwrapItems(page);
  }
  async getArtifacts(flowRunId: string): Promise<IArtifact[]> {
    const page = await this._request<IPage<IArtifact>>('artifacts', {
      query: { flow_run_id: flowRunId, limit: 100 }
    });
    return unwrapItems(page);
  }

  cancelRun(id: string): Promise<void> {
    return this._act(`flow_runs/${id}/cancel`);
  }
  retryRun(id: string): Promise<void> {
    return this._act(`flow_runs/${id}/retry`);
  }
  async runDeployment(
    id: string,
    parameters: Record<string, unknown>
  ): Promise<IFlowRun> {
    const run = await this._request<IFlowRun>(
      `deployments/${id}/create_flow_run`,
      { method: 'POST', body: { parameters } }
    );
    void this.refresh();
    return run;
  }
  pauseDeployment(id: string): Promise<void> {
    return this._act(`deployments/${id}/pause`);
  }
  resumeDeployment(id: string): Promise<void> {
    return this._act(`deployments/${id}/resume`);
  }
  deleteDeployment(id: string): Promise<void> {
    return this._act(`deployments/${id}`, 'DELETE');
  }
  async createDeployment(body: IDeploymentCreate): Promise<IDeployment> {
    const deployment = await this._request<IDeployment>('deployments', {
      method: 'POST',
      body
    });
    void this.refresh();
    return deployment;
  }
  pauseWorkPool(name: string): Promise<void> {
    return this._act(`work_pools/${encodeURIComponent(name)}/pause`);
  }
  resumeWorkPool(name: string): Promise<void> {
    return this._act(`work_pools/${encodeURIComponent(name)}/resume`);
  }
  previewSchedule(
    schedule: { cron?: string; interval?: number; timezone?: string },
    count = 5
  ): Promise<ISchedulePreview> {
    return this._request<ISchedulePreview>('schedules/preview', {
      method: 'POST',
      body: { ...schedule, count }
    });
  }
  notebookParameters(path: string): Promise<IJSONSchema> {
    return this._request<IJSONSchema>('notebooks/parameters', {
      query: { path }
    });
  }
  async notificationsAfter(after: string): Promise<INotificationMessage[]> {
    const page = await this._request<
      IPage<INotificationMessage> | INotificationMessage[]
    >('notifications/messages', { query: { after } });
    return unwrapItems(page);
  }

  dispose(): void {
    this._subscription?.dispose();
    this._debouncer.dispose();
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** POST (or DELETE) an action, then refresh so the lists show its effect. */
  private async _act(path: string, method = 'POST'): Promise<void> {
    await this._request(path, {
      method,
      body: method === 'POST' ? {} : undefined
    });
    void this.refresh();
  }

  /**
   * Fetch all sidebar collections in parallel. Collections that answered are
   * kept even if another failed; the first failure becomes `error` and is
   * rethrown so the Poll backs off.
   */
  private async _fetchAll(): Promise<void> {
    const { data: next, failure } = await fetchSidebar(
      this._request,
      this.runQuery(),
      this._now(),
      this._data
    );
    const wasLoaded = this._loaded;
    this._loaded = true;
    const serialized = JSON.stringify(next);
    if (serialized !== this._serialized || !wasLoaded) {
      this._serialized = serialized;
      this._data = next;
      this._changed.emit();
    }
    this._setError(failure ? errorMessage(failure.reason) : null);
    if (failure) {
      throw failure.reason;
    }
  }

  private _setError(error: string | null): void {
    if (error !== this._error) {
      this._error = error;
      this._errorChanged.emit(error);
    }
  }

  private _request: Requester;
  private _now: () => Date;
  private _interval: number;
  private _events: IEventStream | null;
  private _subscription: IDisposable | null = null;
  private _debouncer: Debouncer;
  private _poll: Poll;
  private _filter: IRunFilter = {};
  private _loaded = false;
  private _error: string | null = null;
  private _serialized = '';
  private _data: ISidebarData = emptySidebar();
  private _changed = new Signal<IOrchModel, void>(this);
  private _errorChanged = new Signal<IOrchModel, string | null>(this);
}

export { isFinal, unwrapItems };
