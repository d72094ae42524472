/**
 * What the sidebar shows and how it is fetched: the run list (by the user's
 * filter), deployments, work pools, workers, flows, the day's counts and the
 * failed and late runs, requested together so one slow collection does not
 * hold the others back.
 */
import { Requester } from './request';
import {
  FINAL_STATES,
  IDeployment,
  IFlow,
  IFlowRun,
  IPage,
  IRunCounts,
  IRunFilter,
  IWorker,
  IWorkPool
} from './tokens';

/** Number of runs shown in the sidebar list. */
const RUNS_LIMIT = 100;
const DAY_MS = 24 * 3600 * 1000;

export interface ISidebarData {
  runs: IFlowRun[];
  deployments: IDeployment[];
  workPools: IWorkPool[];
  workers: IWorker[];
  flows: IFlow[];
  counts: IRunCounts | null;
  failedRuns: IFlowRun[];
  lateRuns: IFlowRun[];
}

export function emptySidebar(): ISidebarData {
  return {
    runs: [],
    deployments: [],
    workPools: [],
    workers: [],
    flows: [],
    counts: null,
    failedRuns: [],
    lateRuns: []
  };
}

type Query = Record<string, string | number | string[]>;

/** Query string for the run list, named after the API's filter fields. */
export function runQuery(f: IRunFilter): Query {
  const query: Query = { limit: RUNS_LIMIT };
  if (f.flow_name) {
    query.flow_name = f.flow_name;
  }
  if (f.deployment_id) {
    query.deployment_id = f.deployment_id;
  }
  if (f.tags?.length) {
    query.tags = f.tags;
  }
  if (f.state_type?.length) {
    query.state_type = f.state_type;
  }
  return query;
}

/** Each collection: the field it fills, its path and its query. */
function sources(
  runs: Query,
  now: Date
): [keyof ISidebarData, string, Query][] {
  const since = new Date(now.getTime() - DAY_MS);
  return [
    ['runs', 'flow_runs', runs],
    ['deployments', 'deployments', { limit: 200 }],
    ['workPools', 'work_pools', { limit: 200 }],
    ['workers', 'workers', { limit: 200 }],
    [
      'counts',
      'flow_runs/counts',
      { since: since.toISOString(), until: now.toISOString(), buckets: 24 }
    ],
    ['flows', 'flows', { limit: 200 }],
    [
      'failedRuns',
      'flow_runs',
      {
        state_type: ['FAILED', 'CRASHED'],
        start_after: since.toISOString(),
        limit: 10
      }
    ],
    ['lateRuns', 'flow_runs', { state_name: 'Late', limit: 10 }]
  ];
}

/**
 * Fetch all sidebar collections in parallel. Collections that answered
 * replace their part of `previous`; the others keep it, and the first failure
 * is returned beside the data.
 */
export async function fetchSidebar(
  request: Requester,
  runs: Query,
  now: Date,
  previous: ISidebarData
): Promise<{ data: ISidebarData; failure?: PromiseRejectedResult }> {
  const list = sources(runs, now);
  const results = await Promise.allSettled(
    list.map(([, path, query]) => request<unknown>(path, { query }))
  );
  const next: Record<string, unknown> = { ...previous };
  results.forEach((result, i) => {
    if (result.status === 'fulfilled' && result.value) {
      const key = list[i][0];
      next[key] =
        key === 'counts'
          ? result.value
          : unwrapItems(result.value as IPage<unknown>);
    }
  });
  const failure = results.find(r => r.status === 'rejected') as
    PromiseRejectedResult | undefined;
  return { data: next as unknown as ISidebarData, failure };
}

/** Accept both `{items: [...]}` pages and bare arrays. */
export function unwrapItems<T>(page: IPage<T> | T[] | null | undefined): T[] {
  if (!page) {
    return [];
  }
  return Array.isArray(page) ? page : (page.items ?? []);
}

export function isFinal(run: Pick<IFlowRun, 'state_type'> | null): boolean {
  return !!run?.state_type && FINAL_STATES.includes(run.state_type);
}
