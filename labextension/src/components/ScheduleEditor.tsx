/**
 * Edit a deployment's schedules in place: each a cron string or an interval
 * with a timezone and an active switch, previewed by the server as you type;
 * saved with `PATCH /deployments/{id}` (`schedules` sent flat).
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { formatTime } from '../format';
import { errorMessage } from '../request';
import { fromDrafts, IScheduleDraft, toDrafts } from '../scheduleDrafts';
import { IDeploymentSchedule, IOrchModel, ISchedulePreview } from '../tokens';
import { ErrorMessage, ITransProps, useAction } from './common';

function Preview(
  props: { draft: IScheduleDraft; model: IOrchModel } & ITransProps
): JSX.Element | null {
  const { draft, model } = props;
  const [preview, setPreview] = useState<ISchedulePreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const spec =
      draft.mode === 'cron'
        ? { cron: draft.cron.trim() }
        : { interval: Number(draft.interval) };
    if (!(spec.cron || (spec.interval ?? 0) > 0)) {
      setPreview(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      model
        .previewSchedule({ ...spec, timezone: draft.timezone || undefined }, 3)
        .then(p => live && (setPreview(p), setError(null)))
        .catch(e => live && (setPreview(null), setError(errorMessage(e))));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [draft.mode, draft.cron, draft.interval, draft.timezone]);
  if (error) {
    return <ErrorMessage error={error} />;
  }
  if (!preview) {
    return null;
  }
  return (
    <div className="jp-Orch-muted" data-testid="orch-schedule-edit-preview">
      {preview.description} ·{' '}
      {props.trans.__('next: %1', preview.next_runs.map(formatTime).join(', '))}
    </div>
  );
}

export function ScheduleEditor(
  props: {
    schedules: IDeploymentSchedule[];
    model: IOrchModel;
    onSave: (schedules: Record<string, unknown>[]) => Promise<void>;
    onCancel: () => void;
  } & ITransProps
): JSX.Element {
  const { trans, model } = props;
  const [drafts, setDrafts] = useState<IScheduleDraft[]>(() =>
    toDrafts(props.schedules)
  );
  const action = useAction();
  const update = (i: number, change: Partial<IScheduleDraft>) =>
    setDrafts(drafts.map((d, j) => (i === j ? { ...d, ...change } : d)));
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const result = fromDrafts(drafts);
    await action.run(async () => {
      if (result.error !== undefined) {
        throw new Error(result.error);
      }
      await props.onSave(result.schedules);
    });
  };
  return (
    <form
      className="jp-Orch-scheduleEditor"
      data-testid="orch-schedule-editor"
      onSubmit={save}
    >
      {drafts.map((d, i) => (
        <fieldset
          key={i}
          className="jp-Orch-scheduleDraft"
          data-testid="orch-schedule-draft"
        >
          <HTMLSelect
            aria-label={trans.__('Kind of schedule')}
            value={d.mode}
            onChange={e =>
              update(i, { mode: e.currentTarget.value as 'cron' | 'interval' })
            }
            options={[
              { label: trans.__('cron'), value: 'cron' },
              { label: trans.__('interval (s)'), value: 'interval' }
            ]}
          />
          {d.mode === 'cron' ? (
            <input
              className="jp-mod-styled"
              aria-label={trans.__('Cron string')}
              data-testid="orch-schedule-edit-cron"
              value={d.cron}
              placeholder="0 6 * * *"
              onChange={e => update(i, { cron: e.currentTarget.value })}
            />
          ) : (
            <input
              className="jp-mod-styled"
              type="number"
              min={1}
              aria-label={trans.__('Interval in seconds')}
              data-testid="orch-schedule-edit-interval"
              value={d.interval}
              onChange={e => update(i, { interval: e.currentTarget.value })}
            />
          )}
          <input
            className="jp-mod-styled"
            aria-label={trans.__('Timezone')}
            placeholder={trans.__('timezone (UTC)')}
            value={d.timezone}
            onChange={e => update(i, { timezone: e.currentTarget.value })}
          />
          <label className="jp-Orch-inline">
            <input
              type="checkbox"
              checked={d.active}
              onChange={e => update(i, { active: e.currentTarget.checked })}
            />{' '}
            {trans.__('active')}
          </label>
          <Button
            type="button"
            minimal
            small
            onClick={() => setDrafts(drafts.filter((_, j) => j !== i))}
          >
            {trans.__('Remove')}
          </Button>
          <Preview draft={d} model={model} trans={trans} />
        </fieldset>
      ))}
      <ErrorMessage error={action.error} />
      <div className="jp-Orch-buttons">
        <Button
          type="button"
          minimal
          small
          data-testid="orch-schedule-add"
          onClick={() =>
            setDrafts([
              ...drafts,
              {
                mode: 'cron',
                cron: '',
                interval: '',
                timezone: '',
                active: true
              }
            ])
          }
        >
          {trans.__('Add schedule')}
        </Button>
        <Button
          type="submit"
          small
          disabled={action.busy}
          data-testid="orch-schedule-save"
        >
          {trans.__('Save schedules')}
        </Button>
        <Button type="button" minimal small onClick={props.onCancel}>
          {trans.__('Cancel')}
        </Button>
      </div>
    </form>
  );
}
