/**
 * "Schedule this notebook…": name, cron or interval with a live preview of
 * the next runs (POST /schedules/preview), time zone, the notebook's
 * parameters (GET /notebooks/parameters) and the work pool.
 */
import React, { useEffect, useMemo, useState } from 'react';

import { formatTime } from '../format';
import { initialValues, schemaToFields } from '../paramForm';
import { errorMessage } from '../request';
import { IScheduleFormState, scheduleOf, ScheduleMode } from '../schedule';
import { IOrchModel, ISchedulePreview } from '../tokens';
import { ErrorMessage, ITransProps } from './common';
import { ParameterFields } from './ParameterForm';

function timezones(): string[] {
  const intl = Intl as unknown as {
    supportedValuesOf?: (key: string) => string[];
  };
  try {
    return intl.supportedValuesOf
      ? intl.supportedValuesOf('timeZone')
      : ['UTC'];
  } catch {
    return ['UTC'];
  }
}

export function ScheduleForm(
  props: { state: IScheduleFormState; model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const state = props.state;
  // The state object is shared with the dialog; copy-on-write keeps React in sync.
  const [, setVersion] = useState(0);
  const update = (change: Partial<IScheduleFormState>) => {
    Object.assign(state, change);
    setVersion(v => v + 1);
  };
  const [preview, setPreview] = useState<ISchedulePreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const zones = useMemo(timezones, []);

  // Parameters of the notebook, once per dialog.
  useEffect(() => {
    if (state.schema || state.schemaError) {
      return;
    }
    model
      .notebookParameters(state.path)
      .then(schema => {
        const fields = schemaToFields(schema);
        update({ schema, fields, values: initialValues(fields) });
      })
      .catch(error => update({ schemaError: errorMessage(error) }));
  }, [state.path]);

  // Preview the next runs, debounced while typing.
  const schedule = scheduleOf(state);
  const key = JSON.stringify(schedule);
  useEffect(() => {
    if (
      !schedule ||
      (schedule.interval !== undefined && !(schedule.interval! > 0))
    ) {
      setPreview(null);
      setPreviewError(null);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      model
        .previewSchedule(
          {
            cron: schedule.cron ?? undefined,
            interval: schedule.interval ?? undefined,
            timezone: schedule.timezone ?? undefined
          },
          5
        )
        .then(p => {
          if (!cancelled) {
            setPreview(p);
            setPreviewError(null);
          }
        })
        .catch(error => {
          if (!cancelled) {
            setPreview(null);
            setPreviewError(errorMessage(error));
          }
        });
    }, 350);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key]);

  const fieldError = (name: string) =>
    state.errors[name] ? (
      <div className="jp-Orch-fieldError" role="alert">
        {state.errors[name]}
      </div>
    ) : null;

  return (
    <form
      className="jp-Orch-scheduleForm"
      data-testid="orch-schedule-form"
      onSubmit={e => e.preventDefault()}
    >
      <div className="jp-Orch-muted">
        {trans.__('Notebook: %1', state.path)}
      </div>
      <div className="jp-Orch-field">
        <label htmlFor="orch-schedule-name">
          {trans.__('Deployment name')}
        </label>
        <input
          id="orch-schedule-name"
          data-testid="orch-schedule-name"
          className="jp-mod-styled jp-Orch-input"
          value={state.name}
          onChange={e => update({ name: e.currentTarget.value })}
        />
        {fieldError('name')}
      </div>
      <div
        className="jp-Orch-field"
        role="radiogroup"
        aria-label={trans.__('Schedule')}
      >
        <label>{trans.__('Schedule')}</label>
        <div className="jp-Orch-radios">
          {(
            [
              ['cron', trans.__('Cron')],
              ['interval', trans.__('Interval')],
              ['none', trans.__('No schedule')]
            ] as [ScheduleMode, string][]
          ).map(([mode, label]) => (
            <label key={mode}>
              <input
                type="radio"
                name="orch-schedule-mode"
                data-testid={`orch-schedule-mode-${mode}`}
                checked={state.mode === mode}
                onChange={() => update({ mode })}
              />{' '}
              {label}
            </label>
          ))}
        </div>
      </div>
      {state.mode === 'cron' ? (
        <div className="jp-Orch-field">
          <label htmlFor="orch-schedule-cron">
            {trans.__('Cron expression')}
          </label>
          <input
            id="orch-schedule-cron"
            data-testid="orch-schedule-cron"
            className="jp-mod-styled jp-Orch-input"
            value={state.cron}
            placeholder="0 9 * * 1-5"
            onChange={e => update({ cron: e.currentTarget.value })}
          />
          {fieldError('cron')}
        </div>
      ) : null}
      {state.mode === 'interval' ? (
        <div className="jp-Orch-field">
          <label htmlFor="orch-schedule-interval">{trans.__('Every')}</label>
          <div className="jp-Orch-inline">
            <input
              id="orch-schedule-interval"
              data-testid="orch-schedule-interval"
              className="jp-mod-styled jp-Orch-input"
              inputMode="decimal"
              value={state.interval}
              onChange={e => update({ interval: e.currentTarget.value })}
            />
            <select
              className="jp-mod-styled"
              data-testid="orch-schedule-unit"
              value={state.unit}
              onChange={e =>
                update({
                  unit: e.currentTarget.value as IScheduleFormState['unit']
                })
              }
            >
              <option value="min">{trans.__('minutes')}</option>
              <option value="h">{trans.__('hours')}</option>
              <option value="d">{trans.__('days')}</option>
            </select>
          </div>
          {fieldError('interval')}
        </div>
      ) : null}
      {state.mode !== 'none' ? (
        <>
          <div className="jp-Orch-field">
            <label htmlFor="orch-schedule-tz">{trans.__('Time zone')}</label>
            <input
              id="orch-schedule-tz"
              data-testid="orch-schedule-timezone"
              className="jp-mod-styled jp-Orch-input"
              list="orch-timezones"
              value={state.timezone}
              onChange={e => update({ timezone: e.currentTarget.value })}
            />
            <datalist id="orch-timezones">
              {zones.map(z => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </div>
          <div
            className="jp-Orch-preview"
            data-testid="orch-schedule-preview"
            aria-live="polite"
          >
            {previewError ? (
              <ErrorMessage error={previewError} />
            ) : preview ? (
              <>
                <div className="jp-Orch-previewText">{preview.description}</div>
                <ol>
                  {preview.next_runs.map(t => (
                    <li key={t}>{formatTime(t)}</li>
                  ))}
                </ol>
              </>
            ) : (
              <span className="jp-Orch-muted">
                {trans.__('Computing the next runs…')}
              </span>
            )}
          </div>
        </>
      ) : null}
      <div className="jp-Orch-field">
        <label htmlFor="orch-schedule-pool">{trans.__('Work pool')}</label>
        <select
          id="orch-schedule-pool"
          data-testid="orch-schedule-pool"
          className="jp-mod-styled"
          value={state.workPool}
          onChange={e => update({ workPool: e.currentTarget.value })}
        >
          <option value="">{trans.__('Built-in local worker')}</option>
          {model.workPools.map(p => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="jp-Orch-fieldset">
        <legend>{trans.__('Parameters')}</legend>
        {state.schemaError ? (
          <ErrorMessage
            error={trans.__(
              'Could not read the parameters cell: %1',
              state.schemaError
            )}
          />
        ) : state.schema ? (
          <ParameterFields
            fields={state.fields}
            values={state.values}
            errors={state.errors}
            onChange={values => update({ values })}
            idPrefix="orch-schedule-param"
            trans={trans}
          />
        ) : (
          <span className="jp-Orch-muted">
            {trans.__('Reading the parameters cell…')}
          </span>
        )}
      </fieldset>
      <ErrorMessage error={state.submitError} />
    </form>
  );
}
