/**
 * The Runs page's filters as REST query parameters (`GET /orch/api/flow_runs`):
 * the upcoming scheduled runs and the history are two separate queries.
 */
import { Query } from './request';
import { STATE_TYPES, StateType } from './tokens';

export interface IRunsFilter {
  states: StateType[];
  flowName: string;
  deploymentId: string;
  tags: string[];
  /** Part of the run's name, any case. */
  name: string;
  /** `datetime-local` values (local time), empty when open-ended. */
  from: string;
  to: string;
}

export const EMPTY_FILTER: IRunsFilter = {
  states: [],
  flowName: '',
  deploymentId: '',
  tags: [],
  name: '',
  from: '',
  to: ''
};

/** A `datetime-local` value as an ISO instant, or undefined when empty or invalid. */
export function localToISO(value: string): string | undefined {
  if (!value) {
    return undefined;
  }
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

function common(filter: IRunsFilter): Query {
  return {
    flow_name: filter.flowName || undefined,
    deployment_id: filter.deploymentId || undefined,
    tags: filter.tags.length ? filter.tags : undefined,
    name_like: filter.name.trim() || undefined
  };
}

/**
 * The history: runs in the chosen states (any state but Scheduled when none
 * is chosen, so upcoming runs do not mix into it), newest first.
 */
export function historyQuery(filter: IRunsFilter, limit = 50): Query {
  const states = filter.states.length
    ? filter.states
    : STATE_TYPES.filter(t => t !== 'SCHEDULED');
  return {
    ...common(filter),
    state_type: states,
    start_after: localToISO(filter.from),
    start_before: localToISO(filter.to),
    limit
  };
}

/**
 * Upcoming: scheduled runs due from now on (or from the range's start when
 * later), soonest first; none when the chosen states leave Scheduled out.
 */
export function upcomingQuery(
  filter: IRunsFilter,
  now = new Date(),
  limit = 20
): Query | null {
  if (filter.states.length && !filter.states.includes('SCHEDULED')) {
    return null;
  }
  const from = localToISO(filter.from);
  const after = from && from > now.toISOString() ? from : now.toISOString();
  return {
    ...common(filter),
    state_type: 'SCHEDULED',
    sort: 'expected_start_time',
    start_after: after,
    start_before: localToISO(filter.to),
    limit
  };
}
