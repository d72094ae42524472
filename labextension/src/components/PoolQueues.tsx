/**
 * A work pool's queues on the Work pools page: listed with priority and
 * concurrency limit, added by name and priority, deleted (all but "default").
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { IOrchModel, IWorkPool } from '../tokens';
import { ErrorMessage, ITransProps, useAction } from './common';

export interface IQueue {
  id?: string;
  name: string;
  priority: number;
  concurrency_limit?: number | null;
  is_paused?: boolean;
}

export function Queues(
  props: {
    pool: IWorkPool;
    queues: IQueue[];
    model: IOrchModel;
    reload: () => Promise<void>;
  } & ITransProps
): JSX.Element {
  const { pool, queues, model, trans } = props;
  const [name, setName] = useState('');
  const [priority, setPriority] = useState('1');
  const action = useAction();
  const base = `work_pools/${encodeURIComponent(pool.name)}/queues`;
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      await model.request(base, {
        method: 'POST',
        body: { name: name.trim(), priority: Number(priority) || 1 }
      });
      await props.reload();
    });
    if (ok) {
      setName('');
    }
  };
  return (
    <div data-testid="orch-pool-queues">
      <table className="jp-Orch-table">
        <thead>
          <tr>
            <th>{trans.__('Queue')}</th>
            <th>{trans.__('Priority')}</th>
            <th>{trans.__('Concurrency')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {queues.map(q => (
            <tr key={q.name} data-testid="orch-queue" data-queue-name={q.name}>
              <td>{q.name}</td>
              <td>{q.priority}</td>
              <td>{q.concurrency_limit ?? '—'}</td>
              <td>
                {q.name === 'default' ? null : (
                  <Button
                    small
                    minimal
                    aria-label={trans.__('Delete queue %1', q.name)}
                    onClick={() =>
                      action.run(async () => {
                        await model.request(
                          `${base}/${encodeURIComponent(q.name)}`,
                          { method: 'DELETE' }
                        );
                        await props.reload();
                      })
                    }
                  >
                    {trans.__('Delete')}
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="jp-Orch-filterRow" onSubmit={add}>
        <input
          className="jp-mod-styled"
          aria-label={trans.__('New queue name')}
          placeholder={trans.__('new queue')}
          data-testid="orch-queue-name"
          value={name}
          onChange={e => setName(e.currentTarget.value)}
        />
        <input
          className="jp-mod-styled"
          type="number"
          min={1}
          aria-label={trans.__('Priority')}
          value={priority}
          onChange={e => setPriority(e.currentTarget.value)}
        />
        <Button
          type="submit"
          small
          minimal
          disabled={!name.trim() || action.busy}
          data-testid="orch-queue-add"
        >
          {trans.__('Add queue')}
        </Button>
      </form>
      <ErrorMessage error={action.error} />
    </div>
  );
}
