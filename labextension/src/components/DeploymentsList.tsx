/**
 * Deployments: schedule in words, the next runs, paused state, and the
 * actions Run (with a generated parameter form), Pause/Resume and Delete.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { formatTime, relativeTime, scheduleText, storageText } from '../format';
import { IDeployment, IOrchModel } from '../tokens';
import { Empty, ErrorMessage, ITransProps, useAction } from './common';
import { ParametersForm } from './ParameterForm';

/** The ad hoc run form: the deployment's parameters, typed from its schema, then "Start run". */
export function RunForm(
  props: {
    deployment: IDeployment;
    model: IOrchModel;
    onDone: (runId: string) => void;
    onCancel: () => void;
  } & ITransProps
): JSX.Element {
  const { deployment, trans } = props;
  return (
    <ParametersForm
      schema={deployment.parameter_openapi_schema}
      values={deployment.parameters}
      idPrefix={`orch-run-${deployment.id}`}
      testid="orch-run-form"
      submitLabel={trans.__('Start run')}
      submitTestId="orch-run-submit"
      onSubmit={async parameters => {
        const run = await props.model.runDeployment(deployment.id, parameters);
        props.onDone(run.id);
      }}
      onCancel={props.onCancel}
      trans={trans}
    />
  );
}

function DeploymentCard(
  props: {
    deployment: IDeployment;
    model: IOrchModel;
    openRun: (id: string) => void;
    openDeployment?: (id: string) => void;
  } & ITransProps
): JSX.Element {
  const { deployment: d, model, trans } = props;
  const [running, setRunning] = useState(false);
  const action = useAction();
  const source = storageText(d, trans);
  const nextRuns = d.schedules
    .filter(s => s.active)
    .flatMap(s => s.next_runs ?? [])
    .sort()
    .slice(0, 3);
  const remove = async () => {
    const answer = await showDialog({
      title: trans.__('Delete deployment'),
      body: trans.__(
        'Delete %1? Its scheduled runs are removed; past runs are kept.',
        d.full_name ?? d.name
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (answer.button.accept) {
      await action.run(() => model.deleteDeployment(d.id));
    }
  };
  return (
    <li
      className={`jp-Orch-listItem jp-Orch-deployment ${d.paused ? 'jp-mod-paused' : ''}`}
      data-testid="orch-deployment"
      data-deployment-name={d.name}
      data-flow-name={d.flow_name}
      data-paused={d.paused ? 'true' : 'false'}
    >
      <div className="jp-Orch-rowMain">
        <a
          href="#"
          className="jp-Orch-runName jp-Orch-link"
          data-testid="orch-deployment-open"
          title={trans.__('Open the deployment page')}
          onClick={e => {
            e.preventDefault();
            props.openDeployment?.(d.id);
          }}
        >
          {d.full_name ?? `${d.flow_name}/${d.name}`}
        </a>
        <span className="jp-Orch-kind">{d.kind}</span>
        {d.paused ? (
          <span
            className="jp-Orch-badge jp-mod-paused"
            data-testid="orch-paused-badge"
          >
            {trans.__('paused')}
          </span>
        ) : null}
      </div>
      <div className="jp-Orch-rowSub jp-Orch-muted">
        {d.schedules.length === 0
          ? trans.__('No schedule — runs only when started')
          : d.schedules.map((s, i) => (
              <div key={s.id ?? i} data-testid="orch-schedule-text">
                {scheduleText(s)}
                {s.active ? '' : ` (${trans.__('inactive')})`}
              </div>
            ))}
      </div>
      {source ? (
        <div
          className="jp-Orch-rowSub jp-Orch-muted"
          data-testid="orch-deployment-source"
          title={d.storage?.notebook ?? d.storage?.source ?? ''}
        >
          {source}
        </div>
      ) : null}
      {nextRuns.length && !d.paused ? (
        <div
          className="jp-Orch-rowSub jp-Orch-muted"
          data-testid="orch-next-runs"
        >
          {trans.__('Next:')}{' '}
          {nextRuns.map(t => (
            <span key={t} className="jp-Orch-nextRun" title={formatTime(t)}>
              {relativeTime(t)}
            </span>
          ))}
        </div>
      ) : null}
      {d.work_pool_name ? (
        <div className="jp-Orch-rowSub jp-Orch-muted">
          {trans.__('Work pool: %1', d.work_pool_name)}
        </div>
      ) : null}
      <div className="jp-Orch-buttons">
        <Button
          small
          onClick={() => setRunning(!running)}
          data-testid="orch-deployment-run"
        >
          {trans.__('Run')}
        </Button>
        {d.paused ? (
          <Button
            small
            minimal
            disabled={action.busy}
            onClick={() => action.run(() => model.resumeDeployment(d.id))}
            data-testid="orch-deployment-resume"
          >
            {trans.__('Resume')}
          </Button>
        ) : (
          <Button
            small
            minimal
            disabled={action.busy}
            onClick={() => action.run(() => model.pauseDeployment(d.id))}
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
      </div>
      <ErrorMessage error={action.error} />
      {running ? (
        <RunForm
          deployment={d}
          model={model}
          trans={trans}
          onCancel={() => setRunning(false)}
          onDone={id => {
            setRunning(false);
            props.openRun(id);
          }}
        />
      ) : null}
    </li>
  );
}

export function DeploymentsList(
  props: {
    model: IOrchModel;
    openRun: (id: string) => void;
    openDeployment?: (id: string) => void;
  } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  if (model.deployments.length === 0) {
    return (
      <Empty testid="orch-deployments-empty">
        {model.loaded
          ? trans.__(
              'No deployments yet — open a notebook and use “Schedule this notebook…”, or run `jupyter orch deploy`.'
            )
          : trans.__('Loading…')}
      </Empty>
    );
  }
  return (
    <ul className="jp-Orch-list" data-testid="orch-deployments">
      {model.deployments.map(d => (
        <DeploymentCard
          key={d.id}
          deployment={d}
          model={model}
          openRun={props.openRun}
          openDeployment={props.openDeployment}
          trans={trans}
        />
      ))}
    </ul>
  );
}
