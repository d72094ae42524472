/**
 * The Work pools page: create a pool; per pool its status, concurrency limit
 * (edited in place), queues (added and removed), workers with their last
 * heartbeat, the command that starts a worker (copied with one click),
 * pause/resume and delete (after a confirmation).
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import { Button, copyIcon, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useState } from 'react';

import { formatTime, isOnline, relativeTime, workerCommand } from '../format';
import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import { IOrchModel, IPage, IWorker, IWorkPool } from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  Section,
  useAction,
  useSignal
} from './common';
import { IQueue, Queues } from './PoolQueues';

interface IPoolsData {
  pools: IWorkPool[];
  workers: IWorker[];
  queues: Record<string, IQueue[]>;
}

async function loadPools(model: IOrchModel): Promise<IPoolsData> {
  const [pools, workers] = await Promise.all([
    model.request<IPage<IWorkPool>>('work_pools'),
    model.request<IPage<IWorker>>('workers', { query: { limit: 500 } })
  ]);
  const items = unwrapItems(pools);
  const queues = await Promise.all(
    items.map(p =>
      model.request<IPage<IQueue>>(
        `work_pools/${encodeURIComponent(p.name)}/queues`
      )
    )
  );
  return {
    pools: items,
    workers: unwrapItems(workers),
    queues: Object.fromEntries(
      items.map((p, i) => [p.name, unwrapItems(queues[i])])
    )
  };
}

/** `""` → null (no limit), else a whole number ≥ 0, else an error message. */
export function parseLimit(
  text: string
): { value: number | null } | { error: string } {
  if (!text.trim()) {
    return { value: null };
  }
  const n = Number(text);
  return Number.isInteger(n) && n >= 0
    ? { value: n }
    : { error: 'the concurrency limit must be a whole number, 0 or more' };
}

function CreatePool(
  props: { model: IOrchModel; onDone: () => void } & ITransProps
): JSX.Element {
  const { trans, model } = props;
  const [name, setName] = useState('');
  const [type, setType] = useState('process');
  const [limit, setLimit] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const parsed = parseLimit(limit);
    const ok = await action.run(async () => {
      if ('error' in parsed) {
        throw new Error(parsed.error);
      }
      await model.request('work_pools', {
        method: 'POST',
        body: {
          name: name.trim(),
          type,
          description: description || null,
          concurrency_limit: parsed.value
        }
      });
    });
    if (ok) {
      setName('');
      setLimit('');
      setDescription('');
      props.onDone();
    }
  };
  return (
    <form
      className="jp-Orch-filterRow"
      data-testid="orch-pool-create"
      onSubmit={submit}
    >
      <input
        className="jp-mod-styled"
        aria-label={trans.__('Pool name')}
        placeholder={trans.__('pool name')}
        data-testid="orch-pool-name"
        value={name}
        onChange={e => setName(e.currentTarget.value)}
        required
      />
      <HTMLSelect
        aria-label={trans.__('Pool type')}
        value={type}
        onChange={e => setType(e.currentTarget.value)}
        options={['process', 'notebook']}
      />
      <input
        className="jp-mod-styled"
        aria-label={trans.__('Concurrency limit')}
        placeholder={trans.__('concurrency limit (none)')}
        data-testid="orch-pool-limit"
        value={limit}
        onChange={e => setLimit(e.currentTarget.value)}
      />
      <input
        className="jp-mod-styled"
        aria-label={trans.__('Description')}
        placeholder={trans.__('description')}
        value={description}
        onChange={e => setDescription(e.currentTarget.value)}
      />
      <Button
        type="submit"
        small
        disabled={action.busy || !name.trim()}
        data-testid="orch-pool-create-submit"
      >
        {trans.__('Create work pool')}
      </Button>
      <ErrorMessage error={action.error} />
    </form>
  );
}

function PoolCard(
  props: {
    pool: IWorkPool;
    workers: IWorker[];
    queues: IQueue[];
    model: IOrchModel;
    reload: () => Promise<void>;
  } & ITransProps
): JSX.Element {
  const { pool, model, trans } = props;
  const [limit, setLimit] = useState(pool.concurrency_limit?.toString() ?? '');
  const action = useAction();
  const path = `work_pools/${encodeURIComponent(pool.name)}`;
  const act = (run: () => Promise<unknown>) =>
    action.run(async () => {
      await run();
      await props.reload();
    });
  const saveLimit = () => {
    const parsed = parseLimit(limit);
    return act(async () => {
      if ('error' in parsed) {
        throw new Error(parsed.error);
      }
      await model.request(path, {
        method: 'PATCH',
        body: { concurrency_limit: parsed.value }
      });
    });
  };
  const remove = async () => {
    const answer = await showDialog({
      title: trans.__('Delete work pool'),
      body: trans.__(
        'Delete work pool %1 and its queues? Deployments using it stop being picked up.',
        pool.name
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (answer.button.accept) {
      await act(() => model.request(path, { method: 'DELETE' }));
    }
  };
  const command = workerCommand(pool.name);
  return (
    <Section
      title={pool.name}
      testid="orch-pool"
      actions={
        <div className="jp-Orch-buttons">
          <span
            className={`jp-Orch-badge ${pool.is_paused ? 'jp-mod-paused' : ''}`}
            data-testid="orch-pool-status"
          >
            {pool.is_paused
              ? trans.__('paused')
              : (pool.status ?? trans.__('ready'))}
          </span>
          <Button
            small
            minimal
            disabled={action.busy}
            data-testid={
              pool.is_paused ? 'orch-pool-resume' : 'orch-pool-pause'
            }
            onClick={() =>
              act(() =>
                pool.is_paused
                  ? model.resumeWorkPool(pool.name)
                  : model.pauseWorkPool(pool.name)
              )
            }
          >
            {pool.is_paused ? trans.__('Resume') : trans.__('Pause')}
          </Button>
          <Button
            small
            minimal
            disabled={action.busy}
            onClick={remove}
            data-testid="orch-pool-delete"
          >
            {trans.__('Delete')}
          </Button>
        </div>
      }
    >
      <div className="jp-Orch-poolBody" data-pool-name={pool.name}>
        <ErrorMessage error={action.error} />
        <div className="jp-Orch-muted">
          {pool.type ?? 'process'}
          {pool.description ? ` — ${pool.description}` : ''}
        </div>
        <form
          className="jp-Orch-filterRow"
          onSubmit={e => {
            e.preventDefault();
            void saveLimit();
          }}
        >
          <label className="jp-Orch-inline">
            {trans.__('Concurrency limit')}{' '}
            <input
              className="jp-mod-styled"
              data-testid="orch-pool-limit-edit"
              placeholder={trans.__('none')}
              value={limit}
              onChange={e => setLimit(e.currentTarget.value)}
            />
          </label>
          <Button
            type="submit"
            small
            minimal
            data-testid="orch-pool-limit-save"
          >
            {trans.__('Save')}
          </Button>
        </form>
        <h4>{trans.__('Workers')}</h4>
        {props.workers.length ? (
          <table className="jp-Orch-table" data-testid="orch-pool-workers">
            <tbody>
              {props.workers.map(w => (
                <tr key={w.name}>
                  <td>
                    <span
                      className={`jp-Orch-dot ${isOnline(w) ? 'jp-mod-online' : ''}`}
                    />
                    {w.name}
                  </td>
                  <td title={formatTime(w.last_heartbeat_time)}>
                    {trans.__(
                      'last heartbeat %1',
                      relativeTime(w.last_heartbeat_time)
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>{trans.__('No worker has polled this pool yet.')}</Empty>
        )}
        <div className="jp-Orch-command">
          <code data-testid="orch-worker-command">{command}</code>
          <Button
            small
            minimal
            title={trans.__('Copy the command')}
            aria-label={trans.__('Copy the command')}
            onClick={() => Clipboard.copyToSystem(command)}
          >
            <copyIcon.react tag="span" />
          </Button>
        </div>
        <h4>{trans.__('Queues')}</h4>
        <Queues
          pool={pool}
          queues={props.queues}
          model={model}
          reload={props.reload}
          trans={trans}
        />
      </div>
    </Section>
  );
}

export function WorkPoolsPage(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const resource = useMemo(
    () =>
      new LiveResource<IPoolsData>({
        fetch: () => loadPools(model),
        events: model.events,
        interval: 5000,
        liveInterval: 10000, // heartbeats and pools have no events: poll, slowly
        name: 'jupyter-orch:work-pools'
      }),
    [model]
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const data = resource.data;
  const reload = async () => {
    await resource.refresh();
    void model.refresh();
  };
  return (
    <div className="jp-Orch-fullPage" data-testid="orch-work-pools-page">
      <header className="jp-Orch-pageHeader">
        <h1>{trans.__('Work pools')}</h1>
      </header>
      <CreatePool model={model} onDone={() => void reload()} trans={trans} />
      <ErrorMessage error={resource.error} />
      {!data ? (
        <Empty>{trans.__('Loading…')}</Empty>
      ) : data.pools.length ? (
        data.pools.map(p => (
          <PoolCard
            key={p.name}
            pool={p}
            workers={data.workers.filter(w => w.work_pool_name === p.name)}
            queues={data.queues[p.name] ?? []}
            model={model}
            reload={reload}
            trans={trans}
          />
        ))
      ) : (
        <Empty>{trans.__('No work pools yet.')}</Empty>
      )}
    </div>
  );
}
