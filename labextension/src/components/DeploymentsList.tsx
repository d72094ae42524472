/**
 * Deployments: schedule in words, the next runs, paused state, and the
 * actions Run (with a generated parameter form), Pause/Resume and Delete.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useMemo, useState } from 'react';

import { formatTime, relativeTime, scheduleText, storageText } from '../format';
import {
  FormValues,
  initialValues,
  schemaToFields,
  valuesToParameters
} from '../paramForm';
import { IDeployment, IOrchModel } from '../tokens';
import { Empty, ErrorMessage, ITransProps, useAction } from './common';
import { ParameterFields } from './ParameterForm';

function RunForm(
  props: {
    deployment: IDeployment;
    model: IOrchModel;
    onDone: (runId: string) => void;
    onCancel: () => void;
  } & ITransProps
): JSX.Element {
  const { deployment, trans } = props;
  const fields = useMemo(
    () => schemaToFields(deployment.parameter_openapi_schema),
    [deployment.parameter_openapi_schema]
  );
  const [values, setValues] = useState<FormValues>(() =>
    initialValues(fields, deployment.parameters)
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const { parameters, errors } = valuesToParameters(fields, values);
    setErrors(errors);
    if (Object.keys(errors).length) {
      return;
    }
    let runId = '';
    const ok = await action.run(async () => {
      runId = (await props.model.runDeployment(deployment.id, parameters)).id;
    });
    if (ok) {
      props.onDone(runId);
    }
  };
  return (
    <form
      className="jp-Orch-runForm"
      data-testid="orch-run-form"
      onSubmit={submit}
    >
      <ParameterFields
        fields={fields}
        values={values}
        errors={errors}
        onChange={setValues}
        idPrefix={`orch-run-${deployment.id}`}
        trans={trans}
      />
      <ErrorMessage error={action.error} />
      <div className="jp-Orch-buttons">
        <Button
          type="submit"
          disabled={action.busy}
          data-testid="orch-run-submit"
        >
          {trans.__('Start run')}
        </Button>
        <Button type="button" minimal onClick={props.onCancel}>
          {trans.__('Cancel')}
        </Button>
      </div>
    </form>
  );
}

function DeploymentCard(
  props: {
    deployment: IDeployment;
    model: IOrchModel;
    openRun: (id: string) => void;
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
        <span className="jp-Orch-runName">
          {d.full_name ?? `${d.flow_name}/${d.name}`}
        </span>
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
  props: { model: IOrchModel; openRun: (id: string) => void } & ITransProps
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
          trans={trans}
        />
      ))}
    </ul>
  );
}
