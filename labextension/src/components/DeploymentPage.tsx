/**
 * The deployment page: its schedules (edited in place), default parameters
 * (edited with the typed form), a chart of its runs over the last week, the
 * ad hoc run form, upcoming and recent runs, pause/resume, delete, and the
 * notebook it runs. Live: its runs' events reload it.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useState } from 'react';

import { scheduleText, storageText } from '../format';
import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import {
  IDeployment,
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
  useAction,
  useSignal
} from './common';
import { RunsChart } from './Dashboard';
import { RunForm } from './DeploymentsList';
import { ParametersForm } from './ParameterForm';
import { ParametersTable } from './run/RunStates';
import { RunsTable } from './RunsPage';
import { ScheduleEditor } from './ScheduleEditor';

const WEEK_MS = 7 * 24 * 3600e3;

interface IDeploymentData {
  deployment: IDeployment;
  upcoming: IFlowRun[];
  recent: IFlowRun[];
  counts: IRunCounts;
}

async function loadDeployment(
  model: IOrchModel,
  id: string
): Promise<IDeploymentData> {
  const now = new Date();
  const [deployment, upcoming, recent, counts] = await Promise.all([
    model.request<IDeployment>(`deployments/${id}`),
    model.request<IPage<IFlowRun>>('flow_runs', {
      query: {
        deployment_id: id,
        state_type: 'SCHEDULED',
        sort: 'expected_start_time',
        start_after: now.toISOString(),
        limit: 10
      }
    }),
    model.request<IPage<IFlowRun>>('flow_runs', {
      query: { deployment_id: id, limit: 20 }
    }),
    model.request<IRunCounts>('flow_runs/counts', {
      query: {
        deployment_id: id,
        since: new Date(now.getTime() - WEEK_MS).toISOString(),
        until: now.toISOString(),
        buckets: 28
      }
    })
  ]);
  return {
    deployment,
    upcoming: unwrapItems(upcoming),
    recent: unwrapItems(recent).filter(r => r.state_type !== 'SCHEDULED'),
    counts
  };
}

export interface IDeploymentPageProps extends ITransProps {
  model: IOrchModel;
  id: string;
  nav: INavigator;
  setTitle: (label: string, caption?: string) => void;
  openPath: (path: string) => void;
  close: () => void;
}

export function DeploymentPage(props: IDeploymentPageProps): JSX.Element {
  const { model, id, trans, nav } = props;
  const resource = useMemo(
    () =>
      new LiveResource<IDeploymentData>({
        fetch: () => loadDeployment(model, id),
        events: model.events,
        filter: { kind: ['flow_run'], deployment_id: id },
        debounce: 200,
        interval: 5000,
        name: `jupyter-orch:deployment:${id}`
      }),
    [model, id]
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const [panel, setPanel] = useState<'none' | 'run' | 'schedules' | 'params'>(
    'none'
  );
  const action = useAction();
  const d = resource.data?.deployment;
  const fullName = d ? (d.full_name ?? `${d.flow_name}/${d.name}`) : '';
  useEffect(() => {
    if (d) {
      props.setTitle(fullName, trans.__('Deployment %1', fullName));
    }
  }, [fullName]);
  if (!d || !resource.data) {
    return (
      <div className="jp-Orch-fullPage" data-testid="orch-deployment-page">
        <ErrorMessage error={resource.error} />
        {resource.error ? null : (
          <Empty>{trans.__('Loading deployment…')}</Empty>
        )}
      </div>
    );
  }
  const { upcoming, recent, counts } = resource.data;
  const patch = async (body: Record<string, unknown>) => {
    await model.request(`deployments/${id}`, { method: 'PATCH', body });
    setPanel('none');
    await resource.refresh();
    void model.refresh();
  };
  const act = (run: () => Promise<unknown>) =>
    action.run(async () => {
      await run();
      await resource.refresh();
    });
  const remove = async () => {
    const answer = await showDialog({
      title: trans.__('Delete deployment'),
      body: trans.__(
        'Delete %1? Its scheduled runs are removed; past runs are kept.',
        fullName
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (
      answer.button.accept &&
      (await action.run(() => model.deleteDeployment(id)))
    ) {
      props.close();
    }
  };
  const source = storageText(d, trans);
  return (
    <div
      className="jp-Orch-fullPage"
      data-testid="orch-deployment-page"
      data-deployment-id={d.id}
      data-paused={d.paused ? 'true' : 'false'}
    >
      <header className="jp-Orch-pageHeader">
        <h1>
          <span className="jp-Orch-muted">
            <PageLink nav={nav} kind="flow" id={d.flow_id ?? null}>
              {d.flow_name}
            </PageLink>{' '}
            /
          </span>{' '}
          {d.name}
        </h1>
        {d.paused ? (
          <span
            className="jp-Orch-badge jp-mod-paused"
            data-testid="orch-paused-badge"
          >
            {trans.__('paused')}
          </span>
        ) : null}
        <Button
          small
          onClick={() => setPanel(panel === 'run' ? 'none' : 'run')}
          data-testid="orch-deployment-run"
        >
          {trans.__('Run…')}
        </Button>
        {d.paused ? (
          <Button
            small
            minimal
            disabled={action.busy}
            onClick={() => act(() => model.resumeDeployment(id))}
            data-testid="orch-deployment-resume"
          >
            {trans.__('Resume')}
          </Button>
        ) : (
          <Button
            small
            minimal
            disabled={action.busy}
            onClick={() => act(() => model.pauseDeployment(id))}
            data-testid="orch-deployment-pause"
          >
            {trans.__('Pause')}
          </Button>
        )}
        <Button
          small
          minimal
          disabled={action.busy}
          onClick={remove}
          data-testid="orch-deployment-delete"
        >
          {trans.__('Delete')}
        </Button>
      </header>
      <ErrorMessage error={action.error ?? resource.error} />
      {panel === 'run' ? (
        <Section
          title={trans.__('Start a run')}
          testid="orch-deployment-run-section"
        >
          <RunForm
            deployment={d}
            model={model}
            trans={trans}
            onCancel={() => setPanel('none')}
            onDone={runId => {
              setPanel('none');
              nav.open('run', runId);
            }}
          />
        </Section>
      ) : null}
      <dl className="jp-Orch-facts">
        <dt>{trans.__('Kind')}</dt>
        <dd>{d.kind}</dd>
        <dt>{trans.__('Work pool')}</dt>
        <dd>{d.work_pool_name ?? '—'}</dd>
        <dt>{trans.__('Runs')}</dt>
        <dd data-testid="orch-deployment-source">
          {d.kind === 'notebook' && d.path ? (
            <a
              href="#"
              className="jp-Orch-link"
              data-testid="orch-deployment-open-notebook"
              onClick={e => {
                e.preventDefault();
                props.openPath(d.path!);
              }}
            >
              {d.path}
            </a>
          ) : (
            (d.entrypoint ?? d.path ?? '—')
          )}
          {source ? <span className="jp-Orch-muted"> — {source}</span> : null}
        </dd>
        <dt>{trans.__('Tags')}</dt>
        <dd>{d.tags.join(', ') || '—'}</dd>
      </dl>
      <div className="jp-Orch-runGrid">
        <Section
          title={trans.__('Schedules')}
          testid="orch-deployment-schedules"
          actions={
            panel === 'schedules' ? null : (
              <Button
                small
                minimal
                onClick={() => setPanel('schedules')}
                data-testid="orch-schedule-edit"
              >
                {trans.__('Edit')}
              </Button>
            )
          }
        >
          {panel === 'schedules' ? (
            <ScheduleEditor
              schedules={d.schedules}
              model={model}
              onSave={schedules => patch({ schedules })}
              onCancel={() => setPanel('none')}
              trans={trans}
            />
          ) : d.schedules.length ? (
            <ul className="jp-Orch-linkList">
              {d.schedules.map((s, i) => (
                <li key={s.id ?? i} data-testid="orch-schedule-text">
                  {scheduleText(s)}
                  {s.active ? '' : ` (${trans.__('inactive')})`}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>{trans.__('No schedule — runs only when started.')}</Empty>
          )}
        </Section>
        <Section
          title={trans.__('Default parameters')}
          testid="orch-deployment-parameters"
          actions={
            panel === 'params' ? null : (
              <Button
                small
                minimal
                onClick={() => setPanel('params')}
                data-testid="orch-parameters-edit"
              >
                {trans.__('Edit')}
              </Button>
            )
          }
        >
          {panel === 'params' ? (
            <ParametersForm
              schema={d.parameter_openapi_schema}
              values={d.parameters}
              idPrefix={`orch-defaults-${d.id}`}
              testid="orch-parameters-form"
              submitLabel={trans.__('Save defaults')}
              submitTestId="orch-parameters-save"
              onSubmit={parameters => patch({ parameters })}
              onCancel={() => setPanel('none')}
              trans={trans}
            />
          ) : (
            <ParametersTable parameters={d.parameters} trans={trans} />
          )}
        </Section>
      </div>
      <Section
        title={trans.__('Runs over the last 7 days')}
        testid="orch-deployment-chart"
      >
        <div className="jp-Orch-chartWide">
          <RunsChart
            counts={counts}
            startLabel={trans.__('7 days ago')}
            trans={trans}
          />
        </div>
      </Section>
      <Section title={trans.__('Upcoming')} testid="orch-deployment-upcoming">
        {upcoming.length ? (
          <RunsTable
            runs={upcoming}
            nav={nav}
            testid="orch-upcoming-runs"
            upcoming
            trans={trans}
          />
        ) : (
          <Empty>{trans.__('No scheduled runs ahead.')}</Empty>
        )}
      </Section>
      <Section title={trans.__('Recent runs')} testid="orch-deployment-recent">
        {recent.length ? (
          <RunsTable
            runs={recent}
            nav={nav}
            testid="orch-recent-runs"
            trans={trans}
          />
        ) : (
          <Empty>{trans.__('No runs yet.')}</Empty>
        )}
      </Section>
    </div>
  );
}
