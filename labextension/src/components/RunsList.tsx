/**
 * Runs: the latest flow runs, filtered by flow, deployment, tag and state.
 * The list follows the model's poll, so states change without a reload.
 */
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { duration, elapsed, relativeTime } from '../format';
import { IOrchModel, IRunFilter, STATE_TYPES, StateType } from '../tokens';
import { Empty, ITransProps, StateBadge } from './common';

export function RunFilters(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const filter = model.runFilter;
  const [tagText, setTagText] = useState((filter.tags ?? []).join(', '));
  const update = (change: Partial<IRunFilter>) => {
    model.runFilter = { ...model.runFilter, ...change };
  };
  const flowNames = Array.from(
    new Set([
      ...model.flows.map(f => f.name),
      ...model.deployments.map(d => d.flow_name)
    ])
  ).sort();
  return (
    <div className="jp-Orch-filters" data-testid="orch-run-filters">
      <HTMLSelect
        aria-label={trans.__('Flow')}
        data-testid="orch-filter-flow"
        value={filter.flow_name ?? ''}
        onChange={e =>
          update({ flow_name: e.currentTarget.value || undefined })
        }
        options={[{ label: trans.__('All flows'), value: '' }, ...flowNames]}
      />
      <HTMLSelect
        aria-label={trans.__('Deployment')}
        data-testid="orch-filter-deployment"
        value={filter.deployment_id ?? ''}
        onChange={e =>
          update({ deployment_id: e.currentTarget.value || undefined })
        }
        options={[
          { label: trans.__('All deployments'), value: '' },
          ...model.deployments.map(d => ({
            label: d.full_name ?? `${d.flow_name}/${d.name}`,
            value: d.id
          }))
        ]}
      />
      <HTMLSelect
        aria-label={trans.__('State')}
        data-testid="orch-filter-state"
        value={filter.state_type?.length === 1 ? filter.state_type[0] : ''}
        onChange={e =>
          update({
            state_type: e.currentTarget.value
              ? [e.currentTarget.value as StateType]
              : undefined
          })
        }
        options={[
          { label: trans.__('All states'), value: '' },
          ...STATE_TYPES.map(t => ({ label: t.toLowerCase(), value: t }))
        ]}
      />
      <input
        className="jp-mod-styled jp-Orch-input"
        aria-label={trans.__('Tags')}
        data-testid="orch-filter-tags"
        placeholder={trans.__('tags, comma separated')}
        value={tagText}
        onChange={e => setTagText(e.currentTarget.value)}
        onBlur={() => update({ tags: splitTags(tagText) })}
        onKeyDown={e => {
          if (e.key === 'Enter') {
            update({ tags: splitTags(tagText) });
          }
        }}
      />
    </div>
  );
}

export function splitTags(text: string): string[] | undefined {
  const tags = text
    .split(',')
    .map(t => t.trim())
    .filter(Boolean);
  return tags.length ? tags : undefined;
}

export function RunsList(
  props: { model: IOrchModel; openRun: (id: string) => void } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const filtered = Object.values(model.runFilter).some(v =>
    Array.isArray(v) ? v.length : v
  );
  return (
    <div className="jp-Orch-runs" data-testid="orch-runs">
      <RunFilters model={model} trans={trans} />
      {model.runs.length === 0 ? (
        <Empty testid="orch-runs-empty">
          {!model.loaded
            ? trans.__('Loading…')
            : filtered
              ? trans.__('No runs match these filters.')
              : trans.__(
                  'No runs yet — run a deployment from the Deployments tab, or run a flow in a notebook.'
                )}
        </Empty>
      ) : (
        <ul className="jp-Orch-list" data-testid="orch-run-list">
          {model.runs.map(run => (
            <li
              key={run.id}
              className="jp-Orch-listItem jp-Orch-runRow"
              data-testid="orch-run-row"
              data-run-id={run.id}
              data-state-type={run.state_type}
              onClick={() => props.openRun(run.id)}
              title={trans.__('Open the run page')}
            >
              <div className="jp-Orch-rowMain">
                <StateBadge type={run.state_type} name={run.state_name} />
                <span className="jp-Orch-runName">{run.name}</span>
              </div>
              <div className="jp-Orch-rowSub jp-Orch-muted">
                <span>
                  {run.deployment_name
                    ? `${run.flow_name}/${run.deployment_name}`
                    : run.flow_name}
                </span>
                <span>
                  {run.start_time
                    ? `${relativeTime(run.start_time)} · ${duration(
                        elapsed(run.start_time, run.end_time)
                      )}`
                    : relativeTime(run.expected_start_time)}
                </span>
              </div>
              {run.tags?.length ? (
                <div className="jp-Orch-tags">
                  {run.tags.map(t => (
                    <span key={t} className="jp-Orch-tag">
                      {t}
                    </span>
                  ))}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
