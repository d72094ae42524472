/**
 * A run's state: the summary line of a state message, the state history,
 * the full message of a failed run (shown once) and the parameters table.
 * Shared by the run, task-run and deployment pages.
 */
import React from 'react';

import { formatTime, stateColor } from '../../format';
import { IFlowRun, IState } from '../../tokens';
import { Empty, ITransProps, StateBadge } from '../common';

/**
 * The line of a state message that says what happened: for a traceback its
 * last line (`ValueError: boom`), else its first. The full text is shown
 * once, under the run's header.
 */
export function summaryLine(message: string): string {
  const lines = message
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  if (!lines.length) {
    return '';
  }
  return lines[0].startsWith('Traceback') ? lines[lines.length - 1] : lines[0];
}

export function StateTimeline(
  props: { states: IState[] } & ITransProps
): JSX.Element {
  if (!props.states.length) {
    return <Empty>{props.trans.__('No state history.')}</Empty>;
  }
  return (
    <ol className="jp-Orch-timeline" data-testid="orch-state-timeline">
      {props.states.map((s, i) => (
        <li key={s.id ?? i} className="jp-Orch-timelineItem">
          <span
            className="jp-Orch-timelineDot"
            style={{ background: stateColor(s.type) }}
          />
          <StateBadge type={s.type} name={s.name} />{' '}
          <span className="jp-Orch-muted" title={s.timestamp}>
            {formatTime(s.timestamp)}
          </span>
          {s.message ? (
            <div className="jp-Orch-muted jp-Orch-ellipsis" title={s.message}>
              {summaryLine(s.message)}
            </div>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

export function ParametersTable(
  props: {
    parameters: Record<string, unknown>;
  } & ITransProps
): JSX.Element {
  const entries = Object.entries(props.parameters ?? {});
  if (!entries.length) {
    return <Empty>{props.trans.__('No parameters.')}</Empty>;
  }
  return (
    <table className="jp-Orch-table" data-testid="orch-run-parameters">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k} data-param={k}>
            <th>{k}</th>
            <td>
              <code>{JSON.stringify(v)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The full message of a failed run, shown once: its summary line, the rest on demand. */
export function StateMessage(
  props: { run: IFlowRun } & ITransProps
): JSX.Element | null {
  const { run } = props;
  if (!run.state_message) {
    return null;
  }
  const failed = run.state_type === 'FAILED' || run.state_type === 'CRASHED';
  const summary = summaryLine(run.state_message);
  if (summary === run.state_message.trim()) {
    return (
      <div
        className={`jp-Orch-stateMessage ${failed ? 'jp-mod-failed' : ''}`}
        data-testid="orch-state-message"
      >
        {run.state_message}
      </div>
    );
  }
  return (
    <details
      className={`jp-Orch-stateMessage ${failed ? 'jp-mod-failed' : ''}`}
      data-testid="orch-state-message"
    >
      <summary>{summary}</summary>
      <pre className="jp-Orch-pre">{run.state_message}</pre>
    </details>
  );
}
