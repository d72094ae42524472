/**
 * The Dashboard page: runs by state over a chosen window (stacked bars),
 * failed and late runs, and the upcoming scheduled runs. Live: any flow-run
 * event reloads it (debounced).
 */
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { formatTime, relativeTime, stateColor } from '../format';
import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import {
  IFlowRun,
  INavigator,
  IOrchModel,
  IPage,
  IRunCounts,
  STATE_TYPES
} from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  PageLink,
  Section,
  StateBadge,
  useSignal
} from './common';
import { RunsChart } from './Dashboard';

export const WINDOWS: Record<string, number> = {
  '1h': 3600e3,
  '24h': 24 * 3600e3,
  '7d': 7 * 24 * 3600e3
};

export interface IDashboardData {
  counts: IRunCounts;
  failed: IFlowRun[];
  late: IFlowRun[];
  upcoming: IFlowRun[];
}

export async function loadDashboard(
  model: IOrchModel,
  window: number,
  now = new Date()
): Promise<IDashboardData> {
  const since = new Date(now.getTime() - window).toISOString();
  const until = now.toISOString();
  const [counts, failed, late, upcoming] = await Promise.all([
    model.request<IRunCounts>('flow_runs/counts', {
      query: { since, until, buckets: 48 }
    }),
    model.request<IPage<IFlowRun>>('flow_runs', {
      query: {
        state_type: ['FAILED', 'CRASHED'],
        start_after: since,
        limit: 20
      }
    }),
    model.request<IPage<IFlowRun>>('flow_runs', {
      query: { state_name: 'Late', limit: 20 }
    }),
    model.request<IPage<IFlowRun>>('flow_runs', {
      query: {
        state_type: 'SCHEDULED',
        sort: 'expected_start_time',
        start_after: until,
        limit: 20
      }
    })
  ]);
  return {
    counts,
    failed: unwrapItems(failed),
    late: unwrapItems(late),
    upcoming: unwrapItems(upcoming)
  };
}

export function RunTable(
  props: {
    runs: IFlowRun[];
    nav: INavigator;
    testid: string;
    time: 'start' | 'expected';
  } & ITransProps
): JSX.Element {
  const { trans } = props;
  return (
    <table className="jp-Orch-table jp-Orch-wide" data-testid={props.testid}>
      <thead>
        <tr>
          <th>{trans.__('Run')}</th>
          <th>{trans.__('State')}</th>
          <th>
            {props.time === 'start'
              ? trans.__('Started')
              : trans.__('Scheduled for')}
          </th>
          <th>{trans.__('Message')}</th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map(run => {
          const when =
            props.time === 'start'
              ? (run.start_time ?? run.expected_start_time)
              : run.expected_start_time;
          return (
            <tr
              key={run.id}
              data-testid="orch-run-row"
              data-run-id={run.id}
              data-state-type={run.state_type}
            >
              <td>
                <PageLink nav={props.nav} kind="run" id={run.id}>
                  {run.flow_name}/{run.name}
                </PageLink>
              </td>
              <td>
                <StateBadge type={run.state_type} name={run.state_name} />
              </td>
              <td title={formatTime(when)}>{relativeTime(when)}</td>
              <td className="jp-Orch-ellipsis" title={run.state_message ?? ''}>
                {run.state_message ?? ''}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function DashboardPage(
  props: { model: IOrchModel; nav: INavigator } & ITransProps
): JSX.Element {
  const { model, trans, nav } = props;
  const [windowKey, setWindowKey] = useState('24h');
  const [resource, setResource] = useState<LiveResource<IDashboardData> | null>(
    null
  );
  useEffect(() => {
    const r = new LiveResource<IDashboardData>({
      fetch: () => loadDashboard(model, WINDOWS[windowKey]),
      events: model.events,
      filter: { kind: ['flow_run'] },
      debounce: 300,
      interval: 5000,
      liveInterval: 30000,
      name: 'jupyter-orch:dashboard'
    });
    setResource(r);
    return () => r.dispose();
  }, [model, windowKey]);
  useSignal(resource?.changed ?? model.changed);
  const data = resource?.data;
  const byState = data?.counts.by_state ?? {};
  const windowLabels: Record<string, string> = {
    '1h': trans.__('last hour'),
    '24h': trans.__('last 24 hours'),
    '7d': trans.__('last 7 days')
  };
  const axisLabels: Record<string, string> = {
    '1h': trans.__('1 h ago'),
    '24h': trans.__('24 h ago'),
    '7d': trans.__('7 days ago')
  };
  return (
    <div className="jp-Orch-fullPage" data-testid="orch-dashboard-page">
      <header className="jp-Orch-pageHeader">
        <h1>{trans.__('Dashboard')}</h1>
        <HTMLSelect
          aria-label={trans.__('Time window')}
          data-testid="orch-dashboard-window"
          value={windowKey}
          onChange={e => setWindowKey(e.currentTarget.value)}
          options={Object.keys(WINDOWS).map(k => ({
            label: windowLabels[k],
            value: k
          }))}
        />
      </header>
      <ErrorMessage error={resource?.error} />
      <Section title={trans.__('Runs by state')} testid="orch-dashboard-counts">
        {data ? (
          <>
            <div className="jp-Orch-chartWide">
              <RunsChart
                counts={data.counts}
                startLabel={axisLabels[windowKey]}
                trans={trans}
              />
            </div>
            <div className="jp-Orch-legend">
              {STATE_TYPES.filter(t => byState[t]).map(t => (
                <span
                  key={t}
                  className="jp-Orch-legendItem"
                  data-testid={`orch-count-${t}`}
                >
                  <span
                    className="jp-Orch-swatch"
                    style={{ background: stateColor(t) }}
                  />
                  {t.toLowerCase()} {byState[t]}
                </span>
              ))}
            </div>
          </>
        ) : (
          <Empty>{trans.__('Loading…')}</Empty>
        )}
      </Section>
      <div className="jp-Orch-runGrid">
        <Section
          title={trans.__('Failed (%1)', data?.failed.length ?? 0)}
          testid="orch-dashboard-page-failed"
        >
          {data?.failed.length ? (
            <RunTable
              runs={data.failed}
              nav={nav}
              testid="orch-failed-table"
              time="start"
              trans={trans}
            />
          ) : (
            <Empty>{trans.__('No failed runs.')}</Empty>
          )}
        </Section>
        <Section
          title={trans.__('Late (%1)', data?.late.length ?? 0)}
          testid="orch-dashboard-page-late"
        >
          {data?.late.length ? (
            <RunTable
              runs={data.late}
              nav={nav}
              testid="orch-late-table"
              time="expected"
              trans={trans}
            />
          ) : (
            <Empty>{trans.__('No late runs.')}</Empty>
          )}
        </Section>
      </div>
      <Section title={trans.__('Upcoming')} testid="orch-dashboard-upcoming">
        {data?.upcoming.length ? (
          <RunTable
            runs={data.upcoming}
            nav={nav}
            testid="orch-upcoming-table"
            time="expected"
            trans={trans}
          />
        ) : (
          <Empty>{trans.__('No scheduled runs.')}</Empty>
        )}
      </Section>
    </div>
  );
}
