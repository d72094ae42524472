/**
 * A form generated from a parameter JSON schema (see paramForm.ts).
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useMemo, useState } from 'react';

import {
  FormValues,
  IField,
  initialValues,
  schemaToFields,
  valuesToParameters
} from '../paramForm';
import { IJSONSchema } from '../tokens';
import { ErrorMessage, ITransProps, useAction } from './common';

export function FieldInput(props: {
  field: IField;
  value: string | boolean;
  onChange: (value: string | boolean) => void;
  error?: string;
  idPrefix: string;
}): JSX.Element {
  const { field, value, onChange } = props;
  const id = `${props.idPrefix}-${field.name}`;
  const common = {
    id,
    name: field.name,
    'data-testid': `orch-param-${field.name}`,
    'aria-invalid': props.error ? true : undefined
  };
  let input: JSX.Element;
  switch (field.kind) {
    case 'boolean':
      input = (
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={e => onChange(e.currentTarget.checked)}
        />
      );
      break;
    case 'enum':
      input = (
        <select
          {...common}
          className="jp-mod-styled"
          value={String(value)}
          onChange={e => onChange(e.currentTarget.value)}
        >
          {field.nullable || !field.required ? (
            <option value="">—</option>
          ) : null}
          {(field.options ?? []).map(option => {
            const text =
              typeof option === 'string' ? option : JSON.stringify(option);
            return (
              <option key={text} value={text}>
                {text}
              </option>
            );
          })}
        </select>
      );
      break;
    case 'json':
      input = (
        <textarea
          {...common}
          className="jp-mod-styled jp-Orch-input jp-Orch-json"
          rows={2}
          value={String(value)}
          placeholder="JSON"
          onChange={e => onChange(e.currentTarget.value)}
        />
      );
      break;
    default:
      input = (
        <input
          {...common}
          className="jp-mod-styled jp-Orch-input"
          type="text"
          inputMode={field.kind === 'string' ? undefined : 'decimal'}
          value={String(value)}
          onChange={e => onChange(e.currentTarget.value)}
        />
      );
  }
  return (
    <div className="jp-Orch-field">
      <label htmlFor={id}>
        {field.title}
        {field.required ? ' *' : ''}{' '}
        <span className="jp-Orch-muted">({field.kind})</span>
      </label>
      {input}
      {field.description ? (
        <div className="jp-Orch-muted jp-Orch-help">{field.description}</div>
      ) : null}
      {props.error ? (
        <div className="jp-Orch-fieldError" role="alert">
          {field.title} {props.error}
        </div>
      ) : null}
    </div>
  );
}

/** Inputs for every field; the parent owns the values and validation. */
export function ParameterFields(
  props: {
    fields: IField[];
    values: FormValues;
    errors: Record<string, string>;
    onChange: (values: FormValues) => void;
    idPrefix: string;
  } & ITransProps
): JSX.Element {
  if (props.fields.length === 0) {
    return (
      <div className="jp-Orch-muted" data-testid="orch-no-params">
        {props.trans.__('This flow takes no parameters.')}
      </div>
    );
  }
  return (
    <div className="jp-Orch-paramForm" data-testid="orch-param-form">
      {props.fields.map(field => (
        <FieldInput
          key={field.name}
          field={field}
          idPrefix={props.idPrefix}
          value={props.values[field.name] ?? ''}
          error={props.errors[field.name]}
          onChange={value =>
            props.onChange({ ...props.values, [field.name]: value })
          }
        />
      ))}
    </div>
  );
}

/**
 * A parameter form with its own values, validation and submit: the ad hoc
 * run form and the default-parameters editor of a deployment.
 */
export function ParametersForm(
  props: {
    schema: IJSONSchema | null | undefined;
    values: Record<string, unknown>;
    idPrefix: string;
    testid: string;
    submitLabel: string;
    submitTestId: string;
    onSubmit: (parameters: Record<string, unknown>) => Promise<void>;
    onCancel: () => void;
  } & ITransProps
): JSX.Element {
  const { trans } = props;
  const fields = useMemo(() => schemaToFields(props.schema), [props.schema]);
  const [values, setValues] = useState<FormValues>(() =>
    initialValues(fields, props.values)
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
    await action.run(() => props.onSubmit(parameters));
  };
  return (
    <form
      className="jp-Orch-runForm"
      data-testid={props.testid}
      onSubmit={submit}
    >
      <ParameterFields
        fields={fields}
        values={values}
        errors={errors}
        onChange={setValues}
        idPrefix={props.idPrefix}
        trans={trans}
      />
      <ErrorMessage error={action.error} />
      <div className="jp-Orch-buttons">
        <Button
          type="submit"
          disabled={action.busy}
          data-testid={props.submitTestId}
        >
          {props.submitLabel}
        </Button>
        <Button type="button" minimal onClick={props.onCancel}>
          {trans.__('Cancel')}
        </Button>
      </div>
    </form>
  );
}
