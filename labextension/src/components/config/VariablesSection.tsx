/**
 * Variables: named JSON values (with tags) that flows read at run time.
 * Listed with their values; created, edited (PATCH) and deleted here.
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

interface IVariable extends INamed {
  value: unknown;
  tags: string[];
}

export function VariablesSection(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const { list, action, save, remove } = useConfigKind<IVariable>(
    model,
    'variables',
    trans.__('variable'),
    trans
  );
  const [editing, setEditing] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [tags, setTags] = useState('');
  const fill = (v: IVariable | null) => {
    setEditing(v ? v.name : null);
    setName(v ? v.name : '');
    setValue(v ? JSON.stringify(v.value) : '');
    setTags(v ? (v.tags ?? []).join(', ') : '');
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const body = () => ({
      value: parseJSON(value, trans.__('Value'), trans),
      tags: tags
        .split(',')
        .map(t => t.trim())
        .filter(Boolean)
    });
    const ok = await save(() =>
      editing
        ? model.request(`variables/name/${encodeURIComponent(editing)}`, {
            method: 'PATCH',
            body: body()
          })
        : model.request('variables', {
            method: 'POST',
            body: { name: name.trim(), ...body() }
          })
    );
    if (ok) {
      fill(null);
    }
  };
  const items = list.items ?? [];
  return (
    <Section title={trans.__('Variables')} testid="orch-config-variables">
      <form
        className="jp-Orch-filterRow"
        onSubmit={submit}
        data-testid="orch-variable-form"
      >
        <Field
          label={trans.__('Variable name')}
          placeholder={trans.__('name')}
          testid="orch-variable-name"
          value={name}
          set={setName}
          readOnly={editing !== null}
        />
        <Field
          label={trans.__('Value (JSON)')}
          placeholder={trans.__('value (JSON, e.g. 10 or "text")')}
          testid="orch-variable-value"
          value={value}
          set={setValue}
          wide
        />
        <Field
          label={trans.__('Tags (comma separated)')}
          placeholder={trans.__('tags')}
          testid="orch-variable-tags"
          value={tags}
          set={setTags}
        />
        <FormButtons
          label={editing ? trans.__('Save variable') : trans.__('Add variable')}
          testid="orch-variable-save"
          disabled={!name.trim() || action.busy}
          editing={editing !== null}
          onCancel={() => fill(null)}
          cancelLabel={trans.__('Cancel')}
        />
      </form>
      <ErrorMessage error={action.error ?? list.error} />
      <ConfigTable
        headers={[
          trans.__('Name'),
          trans.__('Value'),
          trans.__('Tags'),
          trans.__('Updated')
        ]}
        loaded={list.items !== null}
        empty={trans.__('No variables.')}
        count={items.length}
      >
        {items.map(v => (
          <tr key={v.name} data-testid="orch-variable" data-name={v.name}>
            <td>{v.name}</td>
            <td>
              <code data-testid="orch-variable-shown-value">
                {JSON.stringify(v.value)}
              </code>
            </td>
            <td>{(v.tags ?? []).join(', ')}</td>
            <td>{formatTime(v.updated)}</td>
            <RowActions
              prefix="orch-variable"
              editLabel={trans.__('Edit')}
              editTestId="orch-variable-edit"
              onEdit={() => fill(v)}
              onDelete={() => remove(v.name)}
              deleteLabel={trans.__('Delete')}
            />
          </tr>
        ))}
      </ConfigTable>
    </Section>
  );
}
