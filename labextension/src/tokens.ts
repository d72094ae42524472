/**
 * Public types and the service token of the jupyter-orch JupyterLab extension.
 *
 * Field names mirror the REST API (docs/rest-api.md) so that payloads can be
 * used as-is without a translation layer.
 */
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

export type StateType =
  | 'SCHEDULED'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CRASHED'
  | 'CANCELLING'
  | 'CANCELLED'
  | 'PAUSED';

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

export interface IState {
  id?: string;
  type: StateType;
  name: string;
  message?: string | null;
  timestamp: string;
  data?: unknown;
  scheduled_time?: string | null;
}

export interface IFlow {
  id: string;
  name: string;
}

export interface IFlowRun {
  id: string;
  name: string;
  flow_id: string;
  flow_name: string;
  deployment_id: string | null;
  deployment_name?: string | null;
  parent_task_run_id?: string | null;
  state_type: StateType;
  state_name: string;
  state_message?: string | null;
  state?: IState | null;
  expected_start_time: string | null;
  next_scheduled_start_time?: string | null;
  start_time: string | null;
  end_time: string | null;
  total_run_time?: number | null;
  run_count?: number;
  parameters: Record<string, unknown>;
  tags: string[];
  work_pool_name?: string | null;
  work_queue_name?: string | null;
  worker_name?: string | null;
  progress?: number | null;
  output_location?: string | null;
  created: string;
  updated?: string;
}

export interface ITaskRun {
  id: string;
  name: string;
  flow_run_id: string;
  task_key?: string;
  state_type: StateType;
  state_name: string;
  state_message?: string | null;
  start_time: string | null;
  end_time: string | null;
  expected_start_time?: string | null;
  run_count?: number;
  tags?: string[];
  created?: string;
}

export interface IEdge {
  upstream_id: string;
  downstream_id: string;
  kind?: string;
}

export interface IFlowRunGraph {
  task_runs: ITaskRun[];
  edges: IEdge[];
  subflow_runs: IFlowRun[];
}

export interface ILogRecord {
  id: number | string;
  flow_run_id?: string | null;
  task_run_id?: string | null;
  level: number;
  level_name?: string;
  message: string;
  timestamp: string;
  name?: string;
}

export interface IArtifact {
  id: string;
  key?: string | null;
  type: string;
  data: unknown;
  description?: string | null;
  flow_run_id?: string | null;
  task_run_id?: string | null;
  created: string;
}

export interface ISchedule {
  cron?: string | null;
  interval?: number | null;
  timezone?: string | null;
  anchor_date?: string | null;
}

export interface IDeploymentSchedule {
  id?: string;
  schedule: ISchedule;
  active: boolean;
  description?: string | null;
  next_runs?: string[];
}

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

export interface IDeployment {
  id: string;
  name: string;
  flow_id?: string;
  flow_name: string;
  full_name?: string;
  kind: 'python' | 'notebook';
  entrypoint?: string | null;
  path?: string | null;
  storage?: IDeploymentStorage | null;
  parameters: Record<string, unknown>;
  parameter_openapi_schema?: IJSONSchema | null;
  tags: string[];
  description?: string | null;
  schedules: IDeploymentSchedule[];
  paused: boolean;
  work_pool_name?: string | null;
  work_queue_name?: string | null;
  concurrency_limit?: number | null;
  created?: string;
  updated?: string;
}

/** Where a deployment's code comes from: a copy taken at deploy time, or the file read at run time. */
export interface IDeploymentStorage {
  type?: 'snapshot' | 'live' | string;
  source?: string;
  notebook?: string;
  sha256?: string;
  snapshot_time?: string;
}

export interface IWorkPool {
  id?: string;
  name: string;
  type?: string;
  description?: string | null;
  is_paused: boolean;
  status?: string | null;
  concurrency_limit?: number | null;
  created?: string;
}

export interface IWorker {
  id?: string;
  name: string;
  work_pool_name?: string;
  work_pool_id?: string;
  last_heartbeat_time: string | null;
  status?: string | null;
}

export interface ICountsBucket {
  start: string;
  end: string;
  counts: Partial<Record<StateType, number>>;
}

export interface IRunCounts {
  by_state: Partial<Record<StateType, number>>;
  buckets: ICountsBucket[];
  late: number;
  failed: number;
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

export interface ISchedulePreview {
  description: string;
  next_runs: string[];
}

export interface IDeploymentCreate {
  name: string;
  flow_name: string;
  kind: 'notebook' | 'python';
  path: string;
  parameters: Record<string, unknown>;
  /** Flat on input (`{cron | interval, timezone, active}`), nested under `schedule` on output. */
  schedules: (ISchedule & { active: boolean })[];
  work_pool_name?: string;
  tags?: string[];
  paused?: boolean;
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

  refresh(): Promise<void>;
  getRun(id: string): Promise<IFlowRun>;
  getRunStates(id: string): Promise<IState[]>;
  getGraph(id: string): Promise<IFlowRunGraph>;
  getLogs(flowRunId: string, afterId?: number | string | null): Promise<ILogRecord[]>;
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
}
