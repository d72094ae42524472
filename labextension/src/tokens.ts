/**
 * Public types and the service token of the jupyter-orch JupyterLab extension.
 *
 * Field names mirror the REST API (docs/rest-api.md) so that payloads can be
 * used as-is without a translation layer.
 */
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';
import type { components } from './api';
import type { IEventStream } from './eventTypes';
import type { Requester } from './request';

/** The server's published models (`openapi.json`), generated into `api.ts` at build time. */
type Schemas = components['schemas'];

export type StateType = Schemas['StateType'];

export const STATE_TYPES: StateType[] = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLING',
  'CANCELLED',
  'PAUSED'
];

/** States after which a run does not change by itself any more. */
export const FINAL_STATES: StateType[] = [
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLED'
];

export type IState = Schemas['StateOut'];
export type IFlow = Schemas['FlowOut'];
export type IFlowRun = Schemas['FlowRunOut'];
export type ITaskRun = Schemas['TaskRunOut'];
export type IEdge = Schemas['EdgeOut'];
export type IFlowRunGraph = Schemas['GraphOut'];
/** A task run as the run page's graph, Gantt chart and table show it. */
export type IGraphTask = Schemas['GraphTaskOut'];
/** The run page's task graph (`/flow_runs/{id}/graph/slim`). */
export type IRunGraph = Schemas['SlimGraphOut'];
export type ILogRecord = Schemas['LogOut'];
export type IArtifact = Schemas['ArtifactOut'];
export type ICountsBucket = Schemas['BucketOut'];
export type IRunCounts = Schemas['CountsOut'];
export type IDeploymentCreate = Schemas['DeploymentIn'];
export type ISchedulePreview = Schemas['PreviewOut'];
export type IWorkPool = Schemas['WorkPoolOut'];
export type IWorkQueue = Schemas['QueueOut'];
export type IWorker = Schemas['WorkerOut'];

/*
 * Hand-written below: shapes the server keeps as free-form JSON (a schedule, storage, a parameter
 * schema), and answers of routes that publish no response model yet (notifications).
 */

export interface ISchedule {
  cron?: string | null;
  interval?: number | null;
  timezone?: string | null;
  anchor_date?: string | null;
}

/** Free-form JSON on the server (`schedule`), narrowed to what the UI reads. */
export type IDeploymentSchedule = Omit<Schemas['ScheduleOut'], 'schedule'> & {
  schedule: ISchedule;
};

export interface IJSONSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, IJSONSchema>;
  required?: string[];
  items?: IJSONSchema;
  anyOf?: IJSONSchema[];
  format?: string;
  position?: number;
}

/** Free-form JSON on the server (`storage`, the schema), narrowed to what the UI reads. */
export type IDeployment = Omit<
  Schemas['DeploymentOut'],
  'storage' | 'parameter_openapi_schema' | 'schedules'
> & {
  storage?: IDeploymentStorage | null;
  parameter_openapi_schema?: IJSONSchema | null;
  schedules: IDeploymentSchedule[];
};

/** Where a deployment's code comes from: a copy taken at deploy time, or the file read at run time. */
export interface IDeploymentStorage {
  type?: 'snapshot' | 'live' | string;
  source?: string;
  notebook?: string;
  sha256?: string;
  snapshot_time?: string;
}

export interface INotificationMessage {
  id?: string;
  created: string;
  subject?: string;
  message?: string;
  body?: unknown;
  state_name?: string;
  flow_run_id?: string | null;
}

export interface IRunFilter {
  flow_name?: string;
  deployment_id?: string;
  tags?: string[];
  state_type?: StateType[];
}

export interface IPage<T> {
  items: T[];
  next: string | null;
}

/**
 * The orchestration data model shared by the sidebar, run pages and dialogs.
 */
export interface IOrchModel {
  /** Emitted after any of the polled collections changed. */
  readonly changed: ISignal<IOrchModel, void>;
  /** Emitted when a poll fails; carries the message shown to the user. */
  readonly errorChanged: ISignal<IOrchModel, string | null>;

  readonly runs: IFlowRun[];
  readonly flows: IFlow[];
  readonly deployments: IDeployment[];
  readonly workPools: IWorkPool[];
  readonly workers: IWorker[];
  readonly counts: IRunCounts | null;
  readonly failedRuns: IFlowRun[];
  readonly lateRuns: IFlowRun[];
  readonly error: string | null;
  /** True once the first poll answered (even with an error). */
  readonly loaded: boolean;

  runFilter: IRunFilter;
  /** Refresh interval in milliseconds. */
  refreshInterval: number;
  /** The live event feed shared by all pages, or null when only polling. */
  readonly events: IEventStream | null;
  /** Any call to `/orch/api/<path>` (pages load what they show through it). */
  request: Requester;

  refresh(): Promise<void>;
  getRun(id: string): Promise<IFlowRun>;
  getRunStates(id: string): Promise<IState[]>;
  /** The task graph as the run page draws it (a few fields per task run). */
  getGraph(id: string): Promise<IRunGraph>;
  getLogs(
    flowRunId: string,
    afterId?: number | string | null
  ): Promise<ILogRecord[]>;
  getArtifacts(flowRunId: string): Promise<IArtifact[]>;
  cancelRun(id: string): Promise<void>;
  retryRun(id: string): Promise<void>;
  runDeployment(
    id: string,
    parameters: Record<string, unknown>
  ): Promise<IFlowRun>;
  pauseDeployment(id: string): Promise<void>;
  resumeDeployment(id: string): Promise<void>;
  deleteDeployment(id: string): Promise<void>;
  createDeployment(body: IDeploymentCreate): Promise<IDeployment>;
  pauseWorkPool(name: string): Promise<void>;
  resumeWorkPool(name: string): Promise<void>;
  previewSchedule(
    schedule: { cron?: string; interval?: number; timezone?: string },
    count?: number
  ): Promise<ISchedulePreview>;
  notebookParameters(path: string): Promise<IJSONSchema>;
  notificationsAfter(after: string): Promise<INotificationMessage[]>;
}

export const IOrchModel = new Token<IOrchModel>(
  'jupyter-orch:IOrchModel',
  'The jupyter-orch orchestration model: runs, deployments, work pools.'
);

/** Command ids, public so that other extensions can call them. */
export namespace CommandIDs {
  export const openSidebar = 'orch:open-sidebar';
  export const openRun = 'orch:open-run';
  export const refresh = 'orch:refresh';
  export const scheduleNotebook = 'orch:schedule-notebook';
  export const scheduleFile = 'orch:schedule-file';
  export const openDocs = 'orch:open-api-docs';
  /** `{kind, id?}`: open (or bring forward) the main-area page of an object. */
  export const openPage = 'orch:open-page';
  export const openDashboard = 'orch:open-dashboard';
  export const openRuns = 'orch:open-runs';
  export const openTaskRun = 'orch:open-task-run';
  export const openDeployment = 'orch:open-deployment';
  export const openFlow = 'orch:open-flow';
  export const openWorkPools = 'orch:open-work-pools';
  export const openConcurrency = 'orch:open-concurrency-limits';
  export const openNotifications = 'orch:open-notifications';
  export const openArtifacts = 'orch:open-artifacts';
  export const openConfiguration = 'orch:open-configuration';
}

/** The kinds of main-area pages; a page is one per (kind, id). */
export type PageKind =
  | 'dashboard'
  | 'runs'
  | 'run'
  | 'task-run'
  | 'deployment'
  | 'flow'
  | 'work-pools'
  | 'concurrency'
  | 'notifications'
  | 'artifacts'
  | 'configuration';

/** Opens pages; handed to every view so that any object links to its page. */
export interface INavigator {
  open(kind: PageKind, id?: string): void;
}
