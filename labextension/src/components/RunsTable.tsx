/**
 * A table of flow runs (the Runs page's history and upcoming runs, a flow's
 * and a deployment's runs): name, state, flow, deployment, tags, start and
 * duration, with optional row selection of the runs that can be cancelled.
 */
import React from 'react';

import { duration, elapsed, formatTime, relativeTime } from '../format';
import { isFinal } from '../model';
import { IFlowRun, INavigator } from '../tokens';
import { ITransProps, PageLink, StateBadge } from './common';

export function RunsTable(
  props: {
    runs: IFlowRun[];
    nav: INavigator;
    testid: string;
    selected?: Set<string>;
    onSelect?: (ids: Set<string>) => void;
    upcoming?: boolean;
  } & ITransProps
): JSX.Element {
  const { runs, trans, nav, selected, onSelect } = props;
  const selectable = runs.filter(r => !isFinal(r));
  const allOn =
    !!selected &&
    selectable.length > 0 &&
    selectable.every(r => selected.has(r.id));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) {
      next.delete(id);
    } else {
      next.add(id);
    }
    onSelect?.(next);
  };
  return (
    <table
      className="jp-Orch-table jp-Orch-wide jp-Orch-runsTable"
      data-testid={props.testid}
    >
      <thead>
        <tr>
          {onSelect ? (
            <th>
              <input
                type="checkbox"
                aria-label={trans.__('Select all runs that can be cancelled')}
                checked={allOn}
                onChange={() =>
                  onSelect(
                    allOn ? new Set() : new Set(selectable.map(r => r.id))
                  )
                }
              />
            </th>
          ) : null}
          <th>{trans.__('Run')}</th>
          <th>{trans.__('State')}</th>
          <th>{trans.__('Flow')}</th>
          <th>{trans.__('Deployment')}</th>
          <th>{trans.__('Tags')}</th>
          <th>
            {props.upcoming ? trans.__('Scheduled for') : trans.__('Started')}
          </th>
          {props.upcoming ? null : <th>{trans.__('Duration')}</th>}
        </tr>
      </thead>
      <tbody>
        {runs.map(run => {
          const when = props.upcoming
            ? run.expected_start_time
            : (run.start_time ?? run.expected_start_time);
          return (
            <tr
              key={run.id}
              data-testid="orch-run-row"
              data-run-id={run.id}
              data-state-type={run.state_type}
              className={selected?.has(run.id) ? 'jp-mod-selected' : ''}
            >
              {onSelect ? (
                <td>
                  <input
                    type="checkbox"
                    aria-label={trans.__('Select %1', run.name)}
                    data-testid="orch-run-select"
                    disabled={isFinal(run)}
                    checked={!!selected?.has(run.id)}
                    onChange={() => toggle(run.id)}
                  />
                </td>
              ) : null}
              <td>
                <PageLink nav={nav} kind="run" id={run.id}>
                  {run.name}
                </PageLink>
              </td>
              <td>
                <StateBadge type={run.state_type} name={run.state_name} />
              </td>
              <td>
                <PageLink nav={nav} kind="flow" id={run.flow_id}>
                  {run.flow_name}
                </PageLink>
              </td>
              <td>
                {run.deployment_id ? (
                  <PageLink nav={nav} kind="deployment" id={run.deployment_id}>
                    {run.deployment_name ?? run.deployment_id.slice(0, 8)}
                  </PageLink>
                ) : (
                  '—'
                )}
              </td>
              <td>
                {run.tags.map(t => (
                  <span key={t} className="jp-Orch-tag">
                    {t}
                  </span>
                ))}
              </td>
              <td title={formatTime(when)}>{relativeTime(when)}</td>
              {props.upcoming ? null : (
                <td>{duration(elapsed(run.start_time, run.end_time))}</td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
