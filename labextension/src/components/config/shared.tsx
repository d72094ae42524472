/**
 * What the three configuration sections share: a list of named objects read
 * from the REST API (reloaded after each change), the delete confirmation,
 * and parsing JSON typed into a field.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useState } from 'react';

import { unwrapItems } from '../../model';
import { errorMessage } from '../../request';
import { IOrchModel, IPage } from '../../tokens';
import { Empty, useAction } from '../common';

export interface INamed {
  name: string;
  updated?: string;
}

/** The objects under `/orch/api/<path>`, and a reload for after a change. */
export function useNamedList<T extends INamed>(
  model: IOrchModel,
  path: string
): {
  items: T[] | null;
  error: string | null;
  reload: () => Promise<void>;
} {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setItems(unwrapItems(await model.request<IPage<T>>(path)));
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [model, path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { items, error, reload };
}

/** Ask before deleting: flows that read the name fail once it is gone. */
export async function confirmDelete(
  what: string,
  name: string,
  trans: TranslationBundle
): Promise<boolean> {
  const answer = await showDialog({
    title: trans.__('Delete %1', what),
    body: trans.__(
      'Delete %1 %2? Flows that read it fail from now on.',
      what,
      name
    ),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  return answer.button.accept;
}

/** JSON typed into a field; an empty field is `fallback`. */
export function parseJSON(
  text: string,
  what: string,
  trans: TranslationBundle,
  fallback: unknown = undefined
): unknown {
  if (!text.trim()) {
    if (fallback === undefined) {
      throw new Error(trans.__('%1 is required.', what));
    }
    return fallback;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(trans.__('%1 must be valid JSON.', what));
  }
}

/**
 * One kind of named configuration on the page: its list, the action state
 * of its form, saving (then reloading) and deleting after a confirmation.
 */
export function useConfigKind<T extends INamed>(
  model: IOrchModel,
  path: string,
  what: string,
  trans: TranslationBundle
) {
  const list = useNamedList<T>(model, path);
  const action = useAction();
  const save = (write: () => Promise<unknown>) =>
    action.run(async () => {
      await write();
      await list.reload();
    });
  const remove = async (name: string) => {
    if (await confirmDelete(what, name, trans)) {
      await save(() =>
        model.request(`${path}/name/${encodeURIComponent(name)}`, {
          method: 'DELETE'
        })
      );
    }
  };
  return { list, action, save, remove };
}

/** The table of one kind, or why it is empty. */
export function ConfigTable(props: {
  headers: string[];
  loaded: boolean;
  empty: string;
  count: number;
  children: React.ReactNode;
}): JSX.Element {
  if (!props.count) {
    return <Empty>{props.loaded ? props.empty : '…'}</Empty>;
  }
  return (
    <table className="jp-Orch-table jp-Orch-wide">
      <thead>
        <tr>
          {props.headers.map(h => (
            <th key={h}>{h}</th>
          ))}
          <th />
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}

/** Edit (or replace) and Delete for a row, keyboard reachable. */
export function RowActions(props: {
  prefix: string;
  editLabel: string;
  editTestId: string;
  onEdit: () => void;
  onDelete: () => void;
  deleteLabel: string;
}): JSX.Element {
  return (
    <td>
      <div className="jp-Orch-buttons">
        <Button
          small
          minimal
          onClick={props.onEdit}
          data-testid={props.editTestId}
        >
          {props.editLabel}
        </Button>
        <Button
          small
          minimal
          onClick={props.onDelete}
          data-testid={`${props.prefix}-delete`}
        >
          {props.deleteLabel}
        </Button>
      </div>
    </td>
  );
}

/** A labelled text input of a configuration form (a password field when secret). */
export function Field(props: {
  label: string;
  placeholder: string;
  testid: string;
  value: string;
  set: (value: string) => void;
  wide?: boolean;
  secret?: boolean;
  readOnly?: boolean;
}): JSX.Element {
  return (
    <input
      className={`jp-mod-styled${props.wide ? ' jp-Orch-input' : ''}`}
      type={props.secret ? 'password' : 'text'}
      autoComplete={props.secret ? 'new-password' : undefined}
      aria-label={props.label}
      placeholder={props.placeholder}
      data-testid={props.testid}
      value={props.value}
      readOnly={props.readOnly}
      onChange={e => props.set(e.currentTarget.value)}
    />
  );
}

/** Save (or add) and, while editing, Cancel. */
export function FormButtons(props: {
  label: string;
  testid: string;
  disabled: boolean;
  editing: boolean;
  onCancel: () => void;
  cancelLabel: string;
}): JSX.Element {
  return (
    <>
      <Button
        type="submit"
        small
        disabled={props.disabled}
        data-testid={props.testid}
      >
        {props.label}
      </Button>
      {props.editing ? (
        <Button type="button" small minimal onClick={props.onCancel}>
          {props.cancelLabel}
        </Button>
      ) : null}
    </>
  );
}
