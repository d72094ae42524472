/**
 * The flow page: its deployments, its runs over the last week (chart) and its
 * recent runs. Live: its runs' events reload it.
 */
import React, { useEffect, useMemo } from 'react';

import { scheduleText } from '../format';
import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import {
  IDeployment,
  IFlow,
  IFlowRun,
  INavigator,
  IOrchModel,
  IPage,
  IRunCounts
} from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  PageLink,
  Section,
  useSignal
} from './common';
import { RunsChart } from './Dashboard';
import { RunsTable } from './RunsPage';

const WEEK_MS = 7 * 24 * 3600e3;

interface IFlowData {
  flow: IFlow;
  deployments: IDeployment[];
  runs: IFlowRun[];
  counts: IRunCounts;
}

async function loadFlow(model: IOrchModel, id: string): Promise<IFlowData> {
  const flow = await model.request<IFlow>(`flows/${id}`);
  const now = new Date();
  const [deployments, runs, counts] = await Promise.all([
    model.request<IPage<IDeployment>>('deployments', {
      query: { flow_name: flow.name, limit: 100 }
    }),
    model.request<IPage<IFlowRun>>('flow_runs', {
      query: { flow_id: id, limit: 30 }
    }),
    model.request<IRunCounts>('flow_runs/counts', {
      query: {
        flow_name: flow.name,
        since: new Date(now.getTime() - WEEK_MS).toISOString(),
        until: now.toISOString(),
        buckets: 28
      }
    })
  ]);
  return {
    flow,
    deployments: unwrapItems(deployments),
    runs: unwrapItems(runs),
    counts
  };
}

export function FlowPage(
  props: {
    model: IOrchModel;
    id: string;
    nav: INavigator;
    setTitle: (label: string, caption?: string) => void;
  } & ITransProps
): JSX.Element {
  const { model, id, nav, trans } = props;
  const resource = useMemo(
    () =>
      new LiveResource<IFlowData>({
        fetch: () => loadFlow(model, id),
        events: model.events,
        filter: { kind: ['flow_run'], flow_id: id },
        debounce: 250,
        interval: 5000,
        name: `jupyter-orch:flow:${id}`
      }),
    [model, id]
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const data = resource.data;
  useEffect(() => {
    if (data) {
      props.setTitle(data.flow.name, trans.__('Flow %1', data.flow.name));
    }
  }, [data?.flow.name]);
  if (!data) {
    return (
      <div className="jp-Orch-fullPage" data-testid="orch-flow-page">
        <ErrorMessage error={resource.error} />
        {resource.error ? null : <Empty>{trans.__('Loading flow…')}</Empty>}
      </div>
    );
  }
  return (
    <div
      className="jp-Orch-fullPage"
      data-testid="orch-flow-page"
      data-flow-id={data.flow.id}
    >
      <header className="jp-Orch-pageHeader">
        <h1>{data.flow.name}</h1>
      </header>
      <ErrorMessage error={resource.error} />
      <Section
        title={trans.__('Deployments (%1)', data.deployments.length)}
        testid="orch-flow-deployments"
      >
        {data.deployments.length ? (
          <table className="jp-Orch-table jp-Orch-wide">
            <tbody>
              {data.deployments.map(d => (
                <tr key={d.id} data-testid="orch-flow-deployment">
                  <td>
                    <PageLink nav={nav} kind="deployment" id={d.id}>
                      {d.name}
                    </PageLink>
                  </td>
                  <td>{d.kind}</td>
                  <td>
                    {d.schedules.map(scheduleText).join('; ') ||
                      trans.__('no schedule')}
                  </td>
                  <td>{d.paused ? trans.__('paused') : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>{trans.__('No deployments of this flow.')}</Empty>
        )}
      </Section>
      <Section
        title={trans.__('Runs over the last 7 days')}
        testid="orch-flow-chart"
      >
        <div className="jp-Orch-chartWide">
          <RunsChart
            counts={data.counts}
            startLabel={trans.__('7 days ago')}
            trans={trans}
          />
        </div>
      </Section>
      <Section title={trans.__('Recent runs')} testid="orch-flow-runs">
        {data.runs.length ? (
          <RunsTable
            runs={data.runs}
            nav={nav}
            testid="orch-flow-run-table"
            trans={trans}
          />
        ) : (
          <Empty>{trans.__('No runs yet.')}</Empty>
        )}
      </Section>
    </div>
  );
}
