/**
 * Storage configurations: an fsspec URL or path with filesystem options (in
 * clear) and credentials (write-only: the list shows which keys are set,
 * never their values). Editing one changes its URL and options; its
 * credentials are kept unless new ones are typed (PATCH, which keeps what it
 * is not sent).
 */
import React, { useState } from 'react';

import { formatTime } from '../../format';
import { IOrchModel } from '../../tokens';
import { ErrorMessage, ITransProps, Section } from '../common';
import {
  ConfigTable,
  Field,
  FormButtons,
  INamed,
  parseJSON,
  RowActions,
  useConfigKind
} from './shared';

interface IStorage extends INamed {
  url: string;
  options: Record<string, unknown>;
  credentials: Record<string, string>;
}

export function StorageSection(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const { list, action, save, remove } = useConfigKind<IStorage>(
    model,
    'storage',
    trans.__('storage configuration'),
    trans
  );
  const [editing, setEditing] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [options, setOptions] = useState('');
  const [credentials, setCredentials] = useState('');
  const fill = (s: IStorage | null) => {
    setEditing(s ? s.name : null);
    setName(s ? s.name : '');
    setUrl(s ? s.url : '');
    setOptions(s ? JSON.stringify(s.options ?? {}) : '');
    setCredentials('');
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    // Typed credentials replace the stored ones; left empty, an edit keeps them.
    const typed = credentials.trim() !== '';
    const ok = await save(() => {
      const body = {
        url: url.trim(),
        options: parseJSON(options, trans.__('Options'), trans, {}),
        credentials:
          typed || editing === null
            ? parseJSON(credentials, trans.__('Credentials'), trans, {})
            : undefined
      };
      return editing === null
        ? model.request('storage', {
            method: 'POST',
            body: { ...body, name: name.trim() }
          })
        : model.request(`storage/name/${encodeURIComponent(editing)}`, {
            method: 'PATCH',
            body
          });
    });
    setCredentials('');
    if (ok) {
      fill(null);
    }
  };
  const items = list.items ?? [];
  return (
    <Section title={trans.__('Storage')} testid="orch-config-storage">
      <form
        className="jp-Orch-filterRow"
        onSubmit={submit}
        data-testid="orch-storage-form"
      >
        <Field
          label={trans.__('Storage name')}
          placeholder={trans.__('name')}
          testid="orch-storage-name"
          value={name}
          set={setName}
          readOnly={editing !== null}
        />
        <Field
          label={trans.__('URL or path')}
          placeholder={trans.__('s3://bucket/prefix or a path')}
          testid="orch-storage-url"
          value={url}
          set={setUrl}
          wide
        />
        <Field
          label={trans.__('Options (JSON)')}
          placeholder={trans.__('options (JSON)')}
          testid="orch-storage-options"
          value={options}
          set={setOptions}
        />
        <Field
          label={trans.__('Credentials (JSON, write-only)')}
          placeholder={
            editing
              ? trans.__('credentials (JSON): leave empty to keep')
              : trans.__('credentials (JSON, write-only)')
          }
          testid="orch-storage-credentials"
          value={credentials}
          set={setCredentials}
          secret
        />
        <FormButtons
          label={editing ? trans.__('Save storage') : trans.__('Add storage')}
          testid="orch-storage-save"
          disabled={!name.trim() || !url.trim() || action.busy}
          editing={editing !== null}
          onCancel={() => fill(null)}
          cancelLabel={trans.__('Cancel')}
        />
      </form>
      <ErrorMessage error={action.error ?? list.error} />
      <ConfigTable
        headers={[
          trans.__('Name'),
          trans.__('URL'),
          trans.__('Options'),
          trans.__('Credentials set'),
          trans.__('Updated')
        ]}
        loaded={list.items !== null}
        empty={trans.__('No storage configurations.')}
        count={items.length}
      >
        {items.map(s => (
          <tr key={s.name} data-testid="orch-storage" data-name={s.name}>
            <td>{s.name}</td>
            <td data-testid="orch-storage-shown-url">{s.url}</td>
            <td>
              <code>{JSON.stringify(s.options ?? {})}</code>
            </td>
            <td>{Object.keys(s.credentials ?? {}).join(', ') || '—'}</td>
            <td>{formatTime(s.updated)}</td>
            <RowActions
              prefix="orch-storage"
              editLabel={trans.__('Edit')}
              editTestId="orch-storage-edit"
              onEdit={() => fill(s)}
              onDelete={() => remove(s.name)}
              deleteLabel={trans.__('Delete')}
            />
          </tr>
        ))}
      </ConfigTable>
    </Section>
  );
}
