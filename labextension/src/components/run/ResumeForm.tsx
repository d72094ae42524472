/**
 * Resume a paused run from its page. A pause that waits for input stored the
 * JSON schema of that input; the form is generated from it with the same
 * fields as the deployment parameter forms, checked in the browser first,
 * and a 422 from the server (naming `run_input.<field>`) is shown on the
 * field it names.
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useState } from 'react';

import { formatTime } from '../../format';
import {
  FormValues,
  initialValues,
  schemaToFields,
  valuesToParameters
} from '../../paramForm';
import { errorMessage } from '../../request';
import { RunModel } from '../../runModel';
import { fieldError, pauseKeyOf } from '../../runInput';
import { IFlowRun, IJSONSchema } from '../../tokens';
import { ParameterFields } from '../ParameterForm';
import { ErrorMessage, ITransProps, Section, useAction } from '../common';

/** Loads the schema of the input the current pause waits for (undefined while loading). */
function usePauseSchema(
  model: RunModel,
  run: IFlowRun
): { schema: IJSONSchema | null | undefined; error: string | null } {
  const key = pauseKeyOf(run);
  // A live event may show PAUSED before the run's state (with its pause key)
  // is read; wait for that read rather than ask under the wrong key.
  const stateId = run.state?.type === 'PAUSED' ? run.state.id : null;
  const [schema, setSchema] = useState<IJSONSchema | null | undefined>();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setSchema(undefined);
    setError(null);
    if (!stateId) {
      return;
    }
    model.pauseInputSchema(key).then(
      found => live && setSchema(found),
      e => live && setError(errorMessage(e))
    );
    return () => {
      live = false;
    };
  }, [model, key, stateId]);
  return { schema, error };
}

export function ResumeForm(
  props: { model: RunModel; run: IFlowRun } & ITransProps
): JSX.Element {
  const { model, run, trans } = props;
  const { schema, error: loadError } = usePauseSchema(model, run);
  const fields = useMemo(() => schemaToFields(schema), [schema]);
  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  useEffect(() => {
    setValues(initialValues(fields));
    setErrors({});
  }, [fields]);
  const waitsForInput = !!schema;
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const converted = valuesToParameters(fields, values);
    setErrors(converted.errors);
    if (Object.keys(converted.errors).length) {
      return;
    }
    await action.run(async () => {
      try {
        await model.resume(waitsForInput ? converted.parameters : null);
      } catch (error) {
        const named = fieldError(error, fields);
        if (!named) {
          throw error;
        }
        setErrors({ [named.name]: named.message });
      }
    });
  };
  const expires = run.state?.scheduled_time;
  return (
    <Section title={trans.__('Resume')} testid="orch-section-resume">
      <form
        className="jp-Orch-runForm"
        data-testid="orch-resume-form"
        data-waits-for-input={
          schema === undefined ? 'loading' : waitsForInput ? 'true' : 'false'
        }
        onSubmit={submit}
      >
        <p className="jp-Orch-muted">
          {waitsForInput
            ? trans.__('This run is %1 and waits for input.', run.state_name)
            : trans.__('This run is %1.', run.state_name)}{' '}
          {expires
            ? trans.__('The pause ends at %1.', formatTime(expires))
            : null}
        </p>
        {schema?.description ? (
          <p data-testid="orch-resume-description">{schema.description}</p>
        ) : null}
        {waitsForInput ? (
          <ParameterFields
            fields={fields}
            values={values}
            errors={errors}
            onChange={setValues}
            idPrefix={`orch-resume-${run.id}`}
            trans={trans}
          />
        ) : null}
        <ErrorMessage error={loadError ?? action.error} />
        <div className="jp-Orch-buttons">
          <Button
            type="submit"
            disabled={schema === undefined || action.busy}
            data-testid="orch-resume-submit"
          >
            {waitsForInput ? trans.__('Resume with input') : trans.__('Resume')}
          </Button>
        </div>
      </form>
    </Section>
  );
}
