/**
 * The Concurrency limits page: tag limits with their slots in use, created
 * (or changed: a POST for an existing tag sets its limit) and deleted.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useState } from 'react';

import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import { IOrchModel, IPage } from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  useAction,
  useSignal
} from './common';

interface ILimit {
  id: string;
  tag: string;
  concurrency_limit: number;
  active_slots: number;
}

export function ConcurrencyPage(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const resource = useMemo(
    () =>
      new LiveResource<ILimit[]>({
        fetch: async () =>
          unwrapItems(await model.request<IPage<ILimit>>('concurrency_limits')),
        events: model.events,
        // Slots are taken by task runs: their state changes move the counts.
        filter: { kind: ['task_run'] },
        debounce: 500,
        interval: 5000,
        name: 'jupyter-orch:concurrency'
      }),
    [model]
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const [tag, setTag] = useState('');
  const [limit, setLimit] = useState('1');
  const action = useAction();
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      const n = Number(limit);
      if (!Number.isInteger(n) || n < 0) {
        throw new Error(
          trans.__('The limit must be a whole number, 0 or more.')
        );
      }
      await model.request('concurrency_limits', {
        method: 'POST',
        body: { tag: tag.trim(), concurrency_limit: n }
      });
      await resource.refresh();
    });
    if (ok) {
      setTag('');
    }
  };
  const remove = async (t: string) => {
    const answer = await showDialog({
      title: trans.__('Delete concurrency limit'),
      body: trans.__(
        'Delete the limit on tag %1? Task runs with that tag are no longer held back.',
        t
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (answer.button.accept) {
      await action.run(async () => {
        await model.request(`concurrency_limits/${encodeURIComponent(t)}`, {
          method: 'DELETE'
        });
        await resource.refresh();
      });
    }
  };
  const limits = resource.data ?? [];
  return (
    <div className="jp-Orch-fullPage" data-testid="orch-concurrency-page">
      <header className="jp-Orch-pageHeader">
        <h1>{trans.__('Concurrency limits')}</h1>
      </header>
      <form
        className="jp-Orch-filterRow"
        onSubmit={save}
        data-testid="orch-limit-form"
      >
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Tag')}
          placeholder={trans.__('tag')}
          data-testid="orch-limit-tag"
          value={tag}
          onChange={e => setTag(e.currentTarget.value)}
        />
        <input
          className="jp-mod-styled"
          type="number"
          min={0}
          aria-label={trans.__('Concurrency limit')}
          data-testid="orch-limit-value"
          value={limit}
          onChange={e => setLimit(e.currentTarget.value)}
        />
        <Button
          type="submit"
          small
          disabled={!tag.trim() || action.busy}
          data-testid="orch-limit-save"
        >
          {trans.__('Set limit')}
        </Button>
      </form>
      <ErrorMessage error={action.error ?? resource.error} />
      {limits.length ? (
        <table className="jp-Orch-table jp-Orch-wide" data-testid="orch-limits">
          <thead>
            <tr>
              <th>{trans.__('Tag')}</th>
              <th>{trans.__('Limit')}</th>
              <th>{trans.__('In use')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {limits.map(l => (
              <tr key={l.tag} data-testid="orch-limit" data-tag={l.tag}>
                <td>{l.tag}</td>
                <td>{l.concurrency_limit}</td>
                <td>
                  {l.active_slots} / {l.concurrency_limit}
                </td>
                <td>
                  <Button
                    small
                    minimal
                    onClick={() => remove(l.tag)}
                    data-testid="orch-limit-delete"
                  >
                    {trans.__('Delete')}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>
          {resource.loaded
            ? trans.__('No concurrency limits.')
            : trans.__('Loading…')}
        </Empty>
      )}
    </div>
  );
}
