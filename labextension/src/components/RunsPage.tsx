/**
 * The Runs page: a full-width table of flow runs with several states at once,
 * flow, deployment, tags, a name search and a date range as filters; the
 * upcoming scheduled runs apart from the history; rows selected to cancel in
 * bulk (after a confirmation). Live through the event feed.
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useState } from 'react';

import { LiveResource } from '../live';
import { isFinal, unwrapItems } from '../model';
import { measureSince } from '../perf';
import { Query } from '../request';
import {
  EMPTY_FILTER,
  historyQuery,
  IRunsFilter,
  upcomingQuery
} from '../runQuery';
import {
  IFlowRun,
  INavigator,
  IOrchModel,
  IPage,
  STATE_TYPES,
  StateType
} from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  Section,
  useAction,
  useSignal
} from './common';
import { confirmCancel } from './RunPage';
import { splitTags } from './RunsList';
import { RunsTable } from './RunsTable';

export { RunsTable };

interface IRunsData {
  upcoming: IFlowRun[];
  history: IFlowRun[];
  next: string | null;
}

async function loadRuns(
  model: IOrchModel,
  filter: IRunsFilter,
  limit: number
): Promise<IRunsData> {
  const upcoming = upcomingQuery(filter);
  const started = performance.now();
  const [up, history] = await Promise.all([
    upcoming
      ? model.request<IPage<IFlowRun>>('flow_runs', { query: upcoming })
      : Promise.resolve(null),
    model.request<IPage<IFlowRun>>('flow_runs', {
      query: historyQuery(filter, limit) as Query
    })
  ]);
  measureSince('runs-page-requests', started);
  return {
    upcoming: unwrapItems(up),
    history: unwrapItems(history),
    next: history.next
  };
}

/** Toggle buttons, one per state: any number may be on. */
function StateChips(
  props: {
    states: StateType[];
    onChange: (states: StateType[]) => void;
  } & ITransProps
): JSX.Element {
  return (
    <div
      className="jp-Orch-chips"
      role="group"
      aria-label={props.trans.__('States')}
      data-testid="orch-filter-states"
    >
      {STATE_TYPES.map(t => {
        const on = props.states.includes(t);
        return (
          <button
            key={t}
            type="button"
            className={`jp-Orch-chip ${on ? 'jp-mod-active' : ''}`}
            aria-pressed={on}
            data-state-type={t}
            onClick={() =>
              props.onChange(
                on ? props.states.filter(s => s !== t) : [...props.states, t]
              )
            }
          >
            {t.toLowerCase()}
          </button>
        );
      })}
    </div>
  );
}

function Filters(
  props: {
    model: IOrchModel;
    filter: IRunsFilter;
    onChange: (filter: IRunsFilter) => void;
  } & ITransProps
): JSX.Element {
  const { model, filter, trans } = props;
  const [name, setName] = useState(filter.name);
  const [tags, setTags] = useState(filter.tags.join(', '));
  const set = (change: Partial<IRunsFilter>) =>
    props.onChange({ ...filter, ...change });
  // The name search applies as you type, once typing pauses.
  useEffect(() => {
    if (name === filter.name) {
      return;
    }
    const timer = setTimeout(() => set({ name }), 250);
    return () => clearTimeout(timer);
  }, [name]);
  const flowNames = Array.from(
    new Set([
      ...model.flows.map(f => f.name),
      ...model.deployments.map(d => d.flow_name)
    ])
  ).sort();
  return (
    <div className="jp-Orch-pageFilters" data-testid="orch-runs-filters">
      <StateChips
        states={filter.states}
        onChange={states => set({ states })}
        trans={trans}
      />
      <div className="jp-Orch-filterRow">
        <input
          className="jp-mod-styled jp-Orch-input"
          type="search"
          aria-label={trans.__('Search by name')}
          placeholder={trans.__('Search by name')}
          data-testid="orch-filter-name"
          value={name}
          onChange={e => setName(e.currentTarget.value)}
        />
        <HTMLSelect
          aria-label={trans.__('Flow')}
          data-testid="orch-filter-flow"
          value={filter.flowName}
          onChange={e => set({ flowName: e.currentTarget.value })}
          options={[{ label: trans.__('All flows'), value: '' }, ...flowNames]}
        />
        <HTMLSelect
          aria-label={trans.__('Deployment')}
          data-testid="orch-filter-deployment"
          value={filter.deploymentId}
          onChange={e => set({ deploymentId: e.currentTarget.value })}
          options={[
            { label: trans.__('All deployments'), value: '' },
            ...model.deployments.map(d => ({
              label: d.full_name ?? `${d.flow_name}/${d.name}`,
              value: d.id
            }))
          ]}
        />
        <input
          className="jp-mod-styled jp-Orch-input"
          aria-label={trans.__('Tags')}
          placeholder={trans.__('tags, comma separated')}
          data-testid="orch-filter-tags"
          value={tags}
          onChange={e => setTags(e.currentTarget.value)}
          onBlur={() => set({ tags: splitTags(tags) ?? [] })}
          onKeyDown={e => {
            if (e.key === 'Enter') {
              set({ tags: splitTags(tags) ?? [] });
            }
          }}
        />
        <label className="jp-Orch-inline">
          {trans.__('From')}{' '}
          <input
            className="jp-mod-styled"
            type="datetime-local"
            data-testid="orch-filter-from"
            value={filter.from}
            onChange={e => set({ from: e.currentTarget.value })}
          />
        </label>
        <label className="jp-Orch-inline">
          {trans.__('To')}{' '}
          <input
            className="jp-mod-styled"
            type="datetime-local"
            data-testid="orch-filter-to"
            value={filter.to}
            onChange={e => set({ to: e.currentTarget.value })}
          />
        </label>
        <Button
          minimal
          small
          data-testid="orch-filter-clear"
          onClick={() => {
            setName('');
            setTags('');
            props.onChange(EMPTY_FILTER);
          }}
        >
          {trans.__('Clear filters')}
        </Button>
      </div>
    </div>
  );
}

export function RunsPage(
  props: { model: IOrchModel; nav: INavigator } & ITransProps
): JSX.Element {
  const { model, trans, nav } = props;
  useSignal(model.changed); // flows and deployments for the filters
  const [filter, setFilter] = useState<IRunsFilter>(EMPTY_FILTER);
  const [limit, setLimit] = useState(50);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const action = useAction();
  const resource = useMemo(
    () =>
      new LiveResource<IRunsData>({
        fetch: () => loadRuns(model, filter, limit),
        events: model.events,
        filter: { kind: ['flow_run'] },
        debounce: 250,
        interval: 5000,
        name: 'jupyter-orch:runs'
      }),
    [model, filter, limit]
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const data = resource.data;
  const runs = [...(data?.upcoming ?? []), ...(data?.history ?? [])];
  const chosen = runs.filter(r => selected.has(r.id) && !isFinal(r));
  const cancelSelected = async () => {
    if (!(await confirmCancel(chosen, trans))) {
      return;
    }
    await action.run(async () => {
      const results = await Promise.allSettled(
        chosen.map(r => model.cancelRun(r.id))
      );
      setSelected(new Set());
      await resource.refresh();
      const failed = results.filter(r => r.status === 'rejected').length;
      if (failed) {
        throw new Error(
          trans.__(
            '%1 of %2 runs could not be cancelled.',
            failed,
            chosen.length
          )
        );
      }
    });
  };
  return (
    <div className="jp-Orch-fullPage" data-testid="orch-runs-page">
      <header className="jp-Orch-pageHeader">
        <h1>{trans.__('Flow runs')}</h1>
        <Button
          small
          disabled={!chosen.length || action.busy}
          onClick={cancelSelected}
          data-testid="orch-runs-cancel-selected"
        >
          {trans.__('Cancel selected (%1)', chosen.length)}
        </Button>
      </header>
      <Filters
        model={model}
        filter={filter}
        onChange={f => {
          setFilter(f);
          setSelected(new Set());
        }}
        trans={trans}
      />
      <ErrorMessage error={action.error ?? resource.error} />
      {upcomingQuery(filter) ? (
        <Section
          title={trans.__('Upcoming (%1)', data?.upcoming.length ?? 0)}
          testid="orch-runs-upcoming"
        >
          {data?.upcoming.length ? (
            <RunsTable
              runs={data.upcoming}
              nav={nav}
              testid="orch-upcoming-runs"
              selected={selected}
              onSelect={setSelected}
              upcoming
              trans={trans}
            />
          ) : (
            <Empty>{trans.__('No scheduled runs ahead.')}</Empty>
          )}
        </Section>
      ) : null}
      <Section title={trans.__('History')} testid="orch-runs-history">
        {!data ? (
          <Empty>{trans.__('Loading…')}</Empty>
        ) : data.history.length ? (
          <>
            <RunsTable
              runs={data.history}
              nav={nav}
              testid="orch-history-runs"
              selected={selected}
              onSelect={setSelected}
              trans={trans}
            />
            {data.next ? (
              <Button
                minimal
                small
                onClick={() => setLimit(limit + 50)}
                data-testid="orch-runs-more"
              >
                {trans.__('Show more')}
              </Button>
            ) : null}
          </>
        ) : (
          <Empty testid="orch-runs-page-empty">
            {trans.__('No runs match these filters.')}
          </Empty>
        )}
      </Section>
    </div>
  );
}
