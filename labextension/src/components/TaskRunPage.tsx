/**
 * The task-run page: state and its history, inputs (linked to the task runs
 * they came from), retries, cache key, a preview of the result, its logs and
 * artifacts. Live through the event feed (filtered to this task run).
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React, { useEffect, useState } from 'react';

import { IOrchEvent } from '../events';
import { duration, elapsed, formatTime } from '../format';
import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import {
  IArtifact,
  ILogRecord,
  INavigator,
  IOrchModel,
  IPage,
  IState,
  ITaskRun
} from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  PageLink,
  Section,
  StateBadge,
  useSignal
} from './common';
import { ArtifactView } from './run/ArtifactView';
import { LogView } from './run/LogView';
import { StateTimeline, summaryLine } from './run/RunStates';

/** A task run as `GET /task_runs/{id}` answers it. */
export type ITaskRunDetail = ITaskRun;

/** Where each argument came from (Prefect's task inputs): upstream task runs, or constants. */
type TaskInputs = Record<string, { input_type?: string; id?: string }[]>;

/** The retry policy the engine recorded. */
interface IPolicy {
  retries?: number;
  max_retries?: number;
}

export interface ITaskRunData {
  task: ITaskRunDetail;
  states: IState[];
  logs: ILogRecord[];
  artifacts: IArtifact[];
}

export function loadTaskRun(
  model: IOrchModel,
  id: string
): Promise<ITaskRunData> {
  return Promise.all([
    model.request<ITaskRunDetail>(`task_runs/${id}`),
    model.request<IState[] | IPage<IState>>(`task_runs/${id}/states`),
    model.request<IPage<ILogRecord>>('logs', {
      query: { task_run_id: id, limit: 500 }
    }),
    model.request<IPage<IArtifact>>('artifacts', {
      query: { task_run_id: id, limit: 100 }
    })
  ]).then(([task, states, logs, artifacts]) => ({
    task,
    states: unwrapItems(states),
    logs: unwrapItems(logs),
    artifacts: unwrapItems(artifacts)
  }));
}

/** A JSON value shortened for display. */
export function preview(value: unknown, limit = 2000): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  } catch {
    text = String(value);
  }
  if (text === undefined) {
    return '';
  }
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

function Inputs(
  props: { task: ITaskRunDetail; nav: INavigator } & ITransProps
): JSX.Element {
  const entries = Object.entries((props.task.task_inputs ?? {}) as TaskInputs);
  if (!entries.length) {
    return <Empty>{props.trans.__('No inputs recorded.')}</Empty>;
  }
  return (
    <table className="jp-Orch-table" data-testid="orch-task-inputs">
      <tbody>
        {entries.map(([name, sources]) => (
          <tr key={name}>
            <th>{name}</th>
            <td>
              {(sources ?? []).length === 0
                ? props.trans.__('a constant')
                : (sources ?? []).map((src, i) =>
                    src.input_type === 'task_run' && src.id ? (
                      <span key={i}>
                        <PageLink
                          nav={props.nav}
                          kind="task-run"
                          id={src.id}
                          testid="orch-task-input-link"
                        >
                          {props.trans.__('task run %1', src.id.slice(0, 8))}
                        </PageLink>{' '}
                      </span>
                    ) : (
                      <code key={i}>{preview(src, 200)} </code>
                    )
                  )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TaskRunPage(
  props: {
    model: IOrchModel;
    id: string;
    nav: INavigator;
    rendermime: IRenderMimeRegistry | null;
    setTitle: (label: string, caption?: string) => void;
  } & ITransProps
): JSX.Element {
  const { model, id, trans, nav } = props;
  const [resource] = useState(
    () =>
      new LiveResource<ITaskRunData>({
        fetch: () => loadTaskRun(model, id),
        events: model.events,
        filter: { task_run_id: id },
        interval: 3000,
        name: `jupyter-orch:task-run:${id}`,
        onEvent: (event: IOrchEvent) => {
          const data = resource.data;
          if (data && event.kind === 'task_run' && event.state_type) {
            data.task = {
              ...data.task,
              state_type: event.state_type,
              state_name: event.state_name ?? ''
            };
            resource.notify();
          }
        }
      })
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const data = resource.data;
  useEffect(() => {
    if (data) {
      props.setTitle(
        data.task.name,
        `${data.task.name} — ${data.task.state_name}`
      );
    }
  }, [data?.task.name, data?.task.state_name]);
  if (!data) {
    return (
      <div className="jp-Orch-runPage" data-testid="orch-task-run-page">
        <ErrorMessage error={resource.error} />
        {resource.error ? null : <Empty>{trans.__('Loading task run…')}</Empty>}
      </div>
    );
  }
  const { task } = data;
  const policy = (task.empirical_policy ?? {}) as IPolicy;
  const result = task.state?.data;
  return (
    <div
      className="jp-Orch-runPage"
      data-testid="orch-task-run-page"
      data-task-run-id={task.id}
      data-state-type={task.state_type}
    >
      <header className="jp-Orch-runHeader">
        <h1>{task.name}</h1>
        <StateBadge type={task.state_type} name={task.state_name} />
        {task.flow_run_id ? (
          <PageLink
            nav={nav}
            kind="run"
            id={task.flow_run_id}
            testid="orch-task-flow-run-link"
          >
            {trans.__('Open its flow run')}
          </PageLink>
        ) : null}
      </header>
      <ErrorMessage error={resource.error} />
      {task.state_message ? (
        <div className="jp-Orch-muted" title={task.state_message}>
          {summaryLine(task.state_message)}
        </div>
      ) : null}
      <dl className="jp-Orch-facts" data-testid="orch-task-facts">
        <dt>{trans.__('Task key')}</dt>
        <dd>
          <code>{task.task_key ?? '—'}</code>
        </dd>
        <dt>{trans.__('Tries')}</dt>
        <dd data-testid="orch-task-tries">
          {trans.__(
            '%1 of %2',
            task.run_count ?? 0,
            1 + (policy.retries ?? policy.max_retries ?? 0)
          )}
        </dd>
        <dt>{trans.__('Started')}</dt>
        <dd>{formatTime(task.start_time)}</dd>
        <dt>{trans.__('Duration')}</dt>
        <dd>{duration(elapsed(task.start_time, task.end_time))}</dd>
        <dt>{trans.__('Cache key')}</dt>
        <dd data-testid="orch-task-cache-key">
          {task.cache_key ? (
            <code title={task.cache_key}>{task.cache_key}</code>
          ) : (
            '—'
          )}
        </dd>
        <dt>{trans.__('Cache expires')}</dt>
        <dd>{formatTime(task.cache_expiration)}</dd>
        <dt>{trans.__('Tags')}</dt>
        <dd>{task.tags?.join(', ') || '—'}</dd>
      </dl>
      <div className="jp-Orch-runGrid">
        <Section title={trans.__('State history')} testid="orch-section-states">
          <StateTimeline states={data.states} trans={trans} />
        </Section>
        <Section title={trans.__('Inputs')} testid="orch-section-inputs">
          <Inputs task={task} nav={nav} trans={trans} />
        </Section>
      </div>
      <Section title={trans.__('Result')} testid="orch-section-result">
        {result === undefined || result === null ? (
          <Empty>{trans.__('No result stored with this state.')}</Empty>
        ) : (
          <pre className="jp-Orch-pre" data-testid="orch-task-result">
            {preview(result)}
          </pre>
        )}
      </Section>
      <Section title={trans.__('Logs')} testid="orch-section-logs">
        <LogView logs={data.logs} trans={trans} />
      </Section>
      <Section title={trans.__('Artifacts')} testid="orch-section-artifacts">
        {data.artifacts.length ? (
          data.artifacts.map(a => (
            <ArtifactView
              key={a.id}
              artifact={a}
              rendermime={props.rendermime}
            />
          ))
        ) : (
          <Empty>{trans.__('No artifacts.')}</Empty>
        )}
      </Section>
    </div>
  );
}
