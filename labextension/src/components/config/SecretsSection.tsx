/**
 * Secrets are write-only: the page lists their names and when they changed,
 * and sets or replaces a value typed into a password field that is cleared
 * once saved. No value is ever read back (the API returns one only from its
 * explicit reveal route, which the page never calls).
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
  RowActions,
  useConfigKind
} from './shared';

export function SecretsSection(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const { list, action, save, remove } = useConfigKind<INamed>(
    model,
    'secrets',
    trans.__('secret'),
    trans
  );
  const [replacing, setReplacing] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const fill = (n: string | null) => {
    setReplacing(n);
    setName(n ?? '');
    setValue('');
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const body = { name: name.trim(), value, overwrite: replacing !== null };
    // The typed value leaves the page whether or not it was saved.
    setValue('');
    if (await save(() => model.request('secrets', { method: 'POST', body }))) {
      fill(null);
    }
  };
  const items = list.items ?? [];
  return (
    <Section title={trans.__('Secrets')} testid="orch-config-secrets">
      <form
        className="jp-Orch-filterRow"
        onSubmit={submit}
        data-testid="orch-secret-form"
      >
        <Field
          label={trans.__('Secret name')}
          placeholder={trans.__('name')}
          testid="orch-secret-name"
          value={name}
          set={setName}
          readOnly={replacing !== null}
        />
        <Field
          label={trans.__('Secret value')}
          placeholder={
            replacing ? trans.__('new value') : trans.__('value (write-only)')
          }
          testid="orch-secret-value"
          value={value}
          set={setValue}
          wide
          secret
        />
        <FormButtons
          label={replacing ? trans.__('Replace value') : trans.__('Add secret')}
          testid="orch-secret-save"
          disabled={!name.trim() || !value || action.busy}
          editing={replacing !== null}
          onCancel={() => fill(null)}
          cancelLabel={trans.__('Cancel')}
        />
      </form>
      <ErrorMessage error={action.error ?? list.error} />
      <ConfigTable
        headers={[trans.__('Name'), trans.__('Value'), trans.__('Updated')]}
        loaded={list.items !== null}
        empty={trans.__('No secrets.')}
        count={items.length}
      >
        {items.map(s => (
          <tr key={s.name} data-testid="orch-secret" data-name={s.name}>
            <td>{s.name}</td>
            <td className="jp-Orch-muted">{trans.__('hidden (write-only)')}</td>
            <td data-testid="orch-secret-updated">{formatTime(s.updated)}</td>
            <RowActions
              prefix="orch-secret"
              editLabel={trans.__('Replace value')}
              editTestId="orch-secret-replace"
              onEdit={() => fill(s.name)}
              onDelete={() => remove(s.name)}
              deleteLabel={trans.__('Delete')}
            />
          </tr>
        ))}
      </ConfigTable>
    </Section>
  );
}
