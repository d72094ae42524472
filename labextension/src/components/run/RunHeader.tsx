/**
 * The head of a run page: its name, state and actions (Cancel after a
 * confirmation, Retry, the output notebook), then the facts about the run.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { duration, elapsed, formatTime } from '../../format';
import { isFinal } from '../../model';
import { IFlowRun, INavigator } from '../../tokens';
import { ITransProps, PageLink, StateBadge } from '../common';

/** Ask before cancelling: a cancelled run stops its kernel or process and cannot resume. */
export async function confirmCancel(
  runs: Pick<IFlowRun, 'name' | 'flow_name'>[],
  trans: TranslationBundle
): Promise<boolean> {
  const body =
    runs.length === 1
      ? trans.__(
          'Cancel run %1? It stops where it is and cannot be resumed.',
          `${runs[0].flow_name}/${runs[0].name}`
        )
      : trans.__(
          'Cancel %1 runs? They stop where they are and cannot be resumed.',
          runs.length
        );
  const answer = await showDialog({
    title: runs.length === 1 ? trans.__('Cancel run') : trans.__('Cancel runs'),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep running') }),
      Dialog.warnButton({
        label: trans.__('Cancel run'),
        ariaLabel: trans.__('Confirm cancel')
      })
    ]
  });
  return answer.button.accept;
}

/** The run's name, state badge and actions. */
export function RunHeader(
  props: {
    run: IFlowRun;
    nav: INavigator;
    busy: boolean;
    onCancel: () => void;
    onRetry: () => void;
    onOpenOutput: () => void;
  } & ITransProps
): JSX.Element {
  const { run, trans } = props;
  const final = isFinal(run);
  return (
    <header className="jp-Orch-runHeader">
      <h1>
        <span className="jp-Orch-muted">
          <PageLink
            nav={props.nav}
            kind="flow"
            id={run.flow_id}
            testid="orch-run-flow-link"
          >
            {run.flow_name}
          </PageLink>{' '}
          /
        </span>{' '}
        {run.name}
      </h1>
      <StateBadge type={run.state_type} name={run.state_name} />
      <div className="jp-Orch-buttons">
        <Button
          small
          disabled={final || props.busy || run.state_type === 'CANCELLING'}
          onClick={props.onCancel}
          data-testid="orch-run-cancel"
        >
          {trans.__('Cancel')}
        </Button>
        <Button
          small
          disabled={!final || props.busy}
          onClick={props.onRetry}
          data-testid="orch-run-retry"
        >
          {trans.__('Retry')}
        </Button>
        {run.output_location ? (
          <Button
            small
            onClick={props.onOpenOutput}
            data-testid="orch-open-output"
            title={run.output_location}
          >
            {trans.__('Open output notebook')}
          </Button>
        ) : null}
      </div>
    </header>
  );
}

/** Where the run comes from, when it ran, and on what. */
export function RunFacts(
  props: { run: IFlowRun; nav: INavigator } & ITransProps
): JSX.Element {
  const { run, trans } = props;
  return (
    <dl className="jp-Orch-facts">
      <dt>{trans.__('Deployment')}</dt>
      <dd>
        {run.deployment_id ? (
          <PageLink
            nav={props.nav}
            kind="deployment"
            id={run.deployment_id}
            testid="orch-run-deployment-link"
          >
            {run.deployment_name ?? run.deployment_id}
          </PageLink>
        ) : (
          '—'
        )}
      </dd>
      <dt>{trans.__('Expected start')}</dt>
      <dd>{formatTime(run.expected_start_time)}</dd>
      <dt>{trans.__('Started')}</dt>
      <dd>{formatTime(run.start_time)}</dd>
      <dt>{trans.__('Duration')}</dt>
      <dd>{duration(elapsed(run.start_time, run.end_time))}</dd>
      <dt>{trans.__('Worker')}</dt>
      <dd>{run.worker_name ?? run.work_pool_name ?? '—'}</dd>
      <dt>{trans.__('Tags')}</dt>
      <dd>{run.tags?.join(', ') || '—'}</dd>
    </dl>
  );
}
