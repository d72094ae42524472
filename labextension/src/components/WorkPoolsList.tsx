/**
 * Work pools: status, workers with their last heartbeat, concurrency,
 * pause/resume and the command that starts a worker for the pool.
 */
import { Clipboard } from '@jupyterlab/apputils';
import { Button, copyIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { formatTime, isOnline, relativeTime, workerCommand } from '../format';
import { IOrchModel, IWorker, IWorkPool } from '../tokens';
import { Empty, ErrorMessage, ITransProps, useAction } from './common';

function poolStatus(pool: IWorkPool, workers: IWorker[]): string {
  if (pool.is_paused) {
    return 'paused';
  }
  if (pool.status) {
    return pool.status.toLowerCase().replace('_', ' ');
  }
  return workers.some(w => isOnline(w)) ? 'ready' : 'not ready';
}

function PoolCard(
  props: {
    pool: IWorkPool;
    workers: IWorker[];
    model: IOrchModel;
  } & ITransProps
): JSX.Element {
  const { pool, workers, model, trans } = props;
  const action = useAction();
  const command = workerCommand(pool.name);
  const status = poolStatus(pool, workers);
  return (
    <li
      className="jp-Orch-listItem jp-Orch-pool"
      data-testid="orch-work-pool"
      data-pool-name={pool.name}
      data-paused={pool.is_paused ? 'true' : 'false'}
    >
      <div className="jp-Orch-rowMain">
        <span className="jp-Orch-runName">{pool.name}</span>
        <span className="jp-Orch-kind">{pool.type ?? 'process'}</span>
        <span
          className={`jp-Orch-badge jp-mod-${status.replace(' ', '-')}`}
          data-testid="orch-pool-status"
        >
          {status}
        </span>
      </div>
      <div className="jp-Orch-rowSub jp-Orch-muted">
        {trans.__(
          'Concurrency: %1',
          pool.concurrency_limit ?? trans.__('unlimited')
        )}
      </div>
      {workers.length ? (
        <ul className="jp-Orch-workers" data-testid="orch-workers">
          {workers.map(w => (
            <li key={w.id ?? w.name} title={formatTime(w.last_heartbeat_time)}>
              <span
                className={`jp-Orch-dot ${isOnline(w) ? 'jp-mod-online' : ''}`}
              />
              {w.name}{' '}
              <span className="jp-Orch-muted">
                {trans.__('heartbeat %1', relativeTime(w.last_heartbeat_time))}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <div className="jp-Orch-muted">
          {trans.__('No workers yet. Start one with:')}
        </div>
      )}
      <div className="jp-Orch-command">
        <code data-testid="orch-worker-command">{command}</code>
        <Button
          small
          minimal
          title={trans.__('Copy the command')}
          onClick={() => Clipboard.copyToSystem(command)}
          data-testid="orch-copy-command"
        >
          <copyIcon.react tag="span" />
        </Button>
      </div>
      <div className="jp-Orch-buttons">
        {pool.is_paused ? (
          <Button
            small
            minimal
            disabled={action.busy}
            onClick={() => action.run(() => model.resumeWorkPool(pool.name))}
            data-testid="orch-pool-resume"
          >
            {trans.__('Resume')}
          </Button>
        ) : (
          <Button
            small
            minimal
            disabled={action.busy}
            onClick={() => action.run(() => model.pauseWorkPool(pool.name))}
            data-testid="orch-pool-pause"
          >
            {trans.__('Pause')}
          </Button>
        )}
      </div>
      <ErrorMessage error={action.error} />
    </li>
  );
}

export function WorkPoolsList(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  if (model.workPools.length === 0) {
    return (
      <Empty testid="orch-pools-empty">
        {model.loaded ? (
          <>
            {trans.__(
              'No work pools yet. Deployments run on the built-in local worker; to run them elsewhere, start a worker:'
            )}
            <code className="jp-Orch-block">{workerCommand('my-pool')}</code>
          </>
        ) : (
          trans.__('Loading…')
        )}
      </Empty>
    );
  }
  return (
    <ul className="jp-Orch-list" data-testid="orch-work-pools">
      {model.workPools.map(pool => (
        <PoolCard
          key={pool.name}
          pool={pool}
          workers={model.workers.filter(
            w =>
              w.work_pool_name === pool.name ||
              (pool.id && w.work_pool_id === pool.id)
          )}
          model={model}
          trans={trans}
        />
      ))}
    </ul>
  );
}
