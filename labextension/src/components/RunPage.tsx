/**
 * The run page: state and its history, parameters, task runs (table, Gantt
 * and dependency graph), live logs, artifacts, the output notebook, and
 * Cancel / Retry.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useRef, useState } from 'react';

import {
  duration,
  elapsed,
  formatTime,
  relativeTime,
  stateColor,
  tableRows
} from '../format';
import { layoutGraph } from '../graphLayout';
import { isFinal } from '../model';
import { RunModel } from '../runModel';
import {
  IArtifact,
  IEdge,
  IFlowRun,
  ILogRecord,
  INavigator,
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
  useAction,
  useSignal
} from './common';

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

export function TaskTable(
  props: { tasks: ITaskRun[]; openTask?: (id: string) => void } & ITransProps
): JSX.Element {
  const { trans } = props;
  return (
    <table className="jp-Orch-table" data-testid="orch-task-table">
      <thead>
        <tr>
          <th>{trans.__('Task')}</th>
          <th>{trans.__('State')}</th>
          <th>{trans.__('Started')}</th>
          <th>{trans.__('Duration')}</th>
          <th>{trans.__('Tries')}</th>
        </tr>
      </thead>
      <tbody>
        {props.tasks.map(t => (
          <tr key={t.id} data-testid="orch-task-row" data-task-run-id={t.id}>
            <td>
              {props.openTask ? (
                <a
                  href="#"
                  className="jp-Orch-link"
                  onClick={e => {
                    e.preventDefault();
                    props.openTask!(t.id);
                  }}
                >
                  {t.name}
                </a>
              ) : (
                t.name
              )}
            </td>
            <td>
              <StateBadge type={t.state_type} name={t.state_name} />
            </td>
            <td title={formatTime(t.start_time)}>
              {relativeTime(t.start_time)}
            </td>
            <td>{duration(elapsed(t.start_time, t.end_time))}</td>
            <td>{t.run_count ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Gantt-style bars on a shared time axis, one row per task run. */
export function Gantt(
  props: { tasks: ITaskRun[] } & ITransProps
): JSX.Element | null {
  const started = props.tasks.filter(t => t.start_time);
  if (!started.length) {
    return <Empty>{props.trans.__('No task has started yet.')}</Empty>;
  }
  const now = Date.now();
  const t0 = Math.min(...started.map(t => Date.parse(t.start_time!)));
  const t1 = Math.max(
    t0 + 1000,
    ...started.map(t => (t.end_time ? Date.parse(t.end_time) : now))
  );
  const labelW = 120;
  const barW = 400;
  const rowH = 18;
  const scale = (t: number) => labelW + ((t - t0) / (t1 - t0)) * barW;
  return (
    <svg
      className="jp-Orch-gantt"
      data-testid="orch-gantt"
      viewBox={`0 0 ${labelW + barW + 50} ${started.length * rowH + 16}`}
      style={{ maxWidth: `${labelW + barW + 50}px` }}
    >
      {started.map((t, i) => {
        const x0 = scale(Date.parse(t.start_time!));
        const x1 = scale(t.end_time ? Date.parse(t.end_time) : now);
        return (
          <g key={t.id} transform={`translate(0, ${i * rowH})`}>
            <text
              x={labelW - 6}
              y={rowH * 0.7}
              textAnchor="end"
              className="jp-Orch-svgText"
            >
              {t.name.length > 18 ? `${t.name.slice(0, 17)}…` : t.name}
            </text>
            <rect
              x={x0}
              y={3}
              width={Math.max(2, x1 - x0)}
              height={rowH - 6}
              rx={2}
              style={{ fill: stateColor(t.state_type) }}
            >
              <title>{`${t.name}: ${t.state_name} (${duration(elapsed(t.start_time, t.end_time))})`}</title>
            </rect>
          </g>
        );
      })}
      <text
        x={labelW}
        y={started.length * rowH + 12}
        className="jp-Orch-svgText jp-Orch-muted"
      >
        0 s
      </text>
      <text
        x={labelW + barW}
        y={started.length * rowH + 12}
        textAnchor="end"
        className="jp-Orch-svgText jp-Orch-muted"
      >
        {duration((t1 - t0) / 1000)}
      </text>
    </svg>
  );
}

/** The task dependency graph, laid out by dagre and drawn as SVG. */
export function TaskGraph(
  props: {
    tasks: ITaskRun[];
    edges: IEdge[];
    openTask?: (id: string) => void;
  } & ITransProps
): JSX.Element {
  const graph = useMemo(
    () => layoutGraph(props.tasks, props.edges),
    // Re-layout only when the structure changes, not on every state change.
    [
      props.tasks.map(t => t.id).join(),
      props.edges.map(e => `${e.upstream_id}>${e.downstream_id}`).join()
    ]
  );
  const byId = new Map(props.tasks.map(t => [t.id, t]));
  return (
    <div className="jp-Orch-graphScroll">
      <svg
        className="jp-Orch-graph"
        data-testid="orch-task-graph"
        width={graph.width}
        height={graph.height}
        viewBox={`0 0 ${graph.width} ${graph.height}`}
      >
        <defs>
          <marker
            id="jp-Orch-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="jp-Orch-arrowHead" />
          </marker>
        </defs>
        {graph.edges.map((e, i) => (
          <polyline
            key={i}
            className="jp-Orch-graphEdge"
            data-testid="orch-graph-edge"
            points={e.points.map(p => `${p.x},${p.y}`).join(' ')}
            markerEnd="url(#jp-Orch-arrow)"
          />
        ))}
        {graph.nodes.map(n => {
          const task = byId.get(n.task.id) ?? n.task;
          return (
            <g
              key={task.id}
              className="jp-Orch-graphNode"
              data-testid="orch-graph-node"
              data-state-type={task.state_type}
              data-task-run-id={task.id}
              transform={`translate(${n.x - n.width / 2}, ${n.y - n.height / 2})`}
              role="button"
              tabIndex={0}
              aria-label={props.trans.__('Open task run %1', task.name)}
              onClick={() => props.openTask?.(task.id)}
              onKeyDown={e => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  props.openTask?.(task.id);
                }
              }}
            >
              <title>{`${task.name}: ${task.state_name}`}</title>
              <rect width={n.width} height={n.height} rx={4} />
              <rect
                width={6}
                height={n.height}
                rx={2}
                style={{ fill: stateColor(task.state_type) }}
              />
              <text x={12} y={15} className="jp-Orch-svgText">
                {task.name.length > 20
                  ? `${task.name.slice(0, 19)}…`
                  : task.name}
              </text>
              <text x={12} y={29} className="jp-Orch-svgText jp-Orch-muted">
                {task.state_name}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

const LEVELS: Record<number, string> = {
  10: 'DEBUG',
  20: 'INFO',
  30: 'WARNING',
  40: 'ERROR',
  50: 'CRITICAL'
};

export function levelName(log: ILogRecord): string {
  return LEVELS[log.level] ?? String(log.level);
}

/** Logs that stay scrolled to the end while "Follow" is on. */
export function LogView(
  props: { logs: ILogRecord[] } & ITransProps
): JSX.Element {
  const [follow, setFollow] = useState(true);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (follow && ref.current) {
      ref.current.scrollTop = ref.current.scrollHeight;
    }
  }, [props.logs.length, follow]);
  return (
    <div>
      <label className="jp-Orch-follow">
        <input
          type="checkbox"
          checked={follow}
          onChange={e => setFollow(e.currentTarget.checked)}
        />{' '}
        {props.trans.__('Follow')}
      </label>
      <div className="jp-Orch-logs" ref={ref} data-testid="orch-logs">
        {props.logs.length === 0 ? (
          <div className="jp-Orch-muted">{props.trans.__('No logs yet.')}</div>
        ) : (
          props.logs.map(log => (
            <div
              key={log.id}
              className={`jp-Orch-logLine jp-Orch-log-${levelName(log).toLowerCase()}`}
              data-testid="orch-log-line"
            >
              <span className="jp-Orch-muted">
                {new Date(log.timestamp).toLocaleTimeString()}
              </span>{' '}
              <span className="jp-Orch-logLevel">{levelName(log)}</span>{' '}
              <span className="jp-Orch-logMessage">{log.message}</span>
            </div>
          ))
        )}
      </div>
    </div>
  );
}

/** Markdown through JupyterLab's renderer, untrusted so it is sanitized. */
function Markdown(props: {
  source: string;
  rendermime: IRenderMimeRegistry | null;
}): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = ref.current;
    if (!host || !props.rendermime) {
      return;
    }
    const renderer = props.rendermime.createRenderer('text/markdown');
    const model = new MimeModel({
      data: { 'text/markdown': props.source },
      trusted: false
    });
    void renderer.renderModel(model).then(() => {
      host.replaceChildren(renderer.node);
    });
    return () => renderer.dispose();
  }, [props.source, props.rendermime]);
  if (!props.rendermime) {
    return <pre className="jp-Orch-pre">{props.source}</pre>;
  }
  return <div ref={ref} className="jp-Orch-markdown" />;
}

function cellText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

export function ArtifactView(props: {
  artifact: IArtifact;
  rendermime: IRenderMimeRegistry | null;
}): JSX.Element {
  const { artifact } = props;
  let body: JSX.Element;
  if (artifact.type === 'markdown') {
    body = (
      <Markdown
        source={String(artifact.data ?? '')}
        rendermime={props.rendermime}
      />
    );
  } else if (artifact.type === 'table') {
    const { columns, rows } = tableRows(artifact.data);
    body = (
      <table className="jp-Orch-table" data-testid="orch-artifact-table">
        {columns.length ? (
          <thead>
            <tr>
              {columns.map(c => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
        ) : null}
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((v, j) => (
                <td key={j}>{cellText(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    );
  } else {
    body = <pre className="jp-Orch-pre">{cellText(artifact.data)}</pre>;
  }
  return (
    <div
      className="jp-Orch-artifact"
      data-testid="orch-artifact"
      data-artifact-type={artifact.type}
    >
      <div className="jp-Orch-artifactTitle">
        {artifact.key ?? artifact.type}
        {artifact.description ? (
          <span className="jp-Orch-muted"> — {artifact.description}</span>
        ) : null}
      </div>
      {body}
    </div>
  );
}

/** Task runs in the Gantt chart and the table before "Show all". */
const TASKS_LISTED = 200;

export interface IRunPageProps extends ITransProps {
  model: RunModel;
  rendermime: IRenderMimeRegistry | null;
  /** Opens the output notebook of a run; rejects with the reason it cannot. */
  openOutput: (runId: string, location: string) => Promise<void>;
  nav: INavigator;
}

/** Ask before cancelling: a cancelled run stops its kernel or process and cannot resume. */
export async function confirmCancel(
  runs: Pick<IFlowRun, 'name' | 'flow_name'>[],
  trans: TranslationBundle
): Promise<boolean> {
  const body =
    runs.length === 1
      ? trans.__(
          'Cancel run %1? It stops where it is and cannot be resumed.',
          `${runs[0].flow_name}/${runs[0].name}`
        )
      : trans.__(
          'Cancel %1 runs? They stop where they are and cannot be resumed.',
          runs.length
        );
  const answer = await showDialog({
    title: runs.length === 1 ? trans.__('Cancel run') : trans.__('Cancel runs'),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep running') }),
      Dialog.warnButton({
        label: trans.__('Cancel run'),
        ariaLabel: trans.__('Confirm cancel')
      })
    ]
  });
  return answer.button.accept;
}

/** The full message of a failed run, shown once: its summary line, the rest on demand. */
function StateMessage(
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

export function RunPage(props: IRunPageProps): JSX.Element {
  const { model, trans } = props;
  useSignal(model.changed);
  const action = useAction();
  const [allTasks, setAllTasks] = useState(false);
  const run = model.run;
  if (!run) {
    return (
      <div className="jp-Orch-runPage" data-testid="orch-run-page">
        <ErrorMessage error={model.error} />
        {model.error ? null : <Empty>{trans.__('Loading run…')}</Empty>}
      </div>
    );
  }
  const tasks = model.graph.task_runs;
  const final = isFinal(run);
  const openTask = (id: string) => props.nav.open('task-run', id);
  // The graph shows every task run; the timeline and table the first ones
  // until asked, so a run of thousands of tasks opens quickly.
  const listed = allTasks ? tasks : tasks.slice(0, TASKS_LISTED);
  return (
    <div
      className="jp-Orch-runPage"
      data-testid="orch-run-page"
      data-run-id={run.id}
      data-state-type={run.state_type}
      data-seen-states={model.seen.join(' ')}
    >
      <header className="jp-Orch-runHeader">
        <h1>
          <span className="jp-Orch-muted">
            <PageLink
              nav={props.nav}
              kind="flow"
              id={run.flow_id}
              testid="orch-run-flow-link"
            >
              {run.flow_name}
            </PageLink>{' '}
            /
          </span>{' '}
          {run.name}
        </h1>
        <StateBadge type={run.state_type} name={run.state_name} />
        <div className="jp-Orch-buttons">
          <Button
            small
            disabled={final || action.busy || run.state_type === 'CANCELLING'}
            onClick={async () => {
              if (await confirmCancel([run], trans)) {
                await action.run(() => model.cancel());
              }
            }}
            data-testid="orch-run-cancel"
          >
            {trans.__('Cancel')}
          </Button>
          <Button
            small
            disabled={!final || action.busy}
            onClick={() => action.run(() => model.retry())}
            data-testid="orch-run-retry"
          >
            {trans.__('Retry')}
          </Button>
          {run.output_location ? (
            <Button
              small
              onClick={() =>
                action.run(() => props.openOutput(run.id, run.output_location!))
              }
              data-testid="orch-open-output"
              title={run.output_location}
            >
              {trans.__('Open output notebook')}
            </Button>
          ) : null}
        </div>
      </header>
      <ErrorMessage error={action.error ?? model.error} />
      <StateMessage run={run} trans={trans} />
      <dl className="jp-Orch-facts">
        <dt>{trans.__('Deployment')}</dt>
        <dd>
          {run.deployment_id ? (
            <PageLink
              nav={props.nav}
              kind="deployment"
              id={run.deployment_id}
              testid="orch-run-deployment-link"
            >
              {run.deployment_name ?? run.deployment_id}
            </PageLink>
          ) : (
            '—'
          )}
        </dd>
        <dt>{trans.__('Expected start')}</dt>
        <dd>{formatTime(run.expected_start_time)}</dd>
        <dt>{trans.__('Started')}</dt>
        <dd>{formatTime(run.start_time)}</dd>
        <dt>{trans.__('Duration')}</dt>
        <dd>{duration(elapsed(run.start_time, run.end_time))}</dd>
        <dt>{trans.__('Worker')}</dt>
        <dd>{run.worker_name ?? run.work_pool_name ?? '—'}</dd>
        <dt>{trans.__('Tags')}</dt>
        <dd>{run.tags?.join(', ') || '—'}</dd>
      </dl>
      <div className="jp-Orch-runGrid">
        <Section title={trans.__('State history')} testid="orch-section-states">
          <StateTimeline states={model.states} trans={trans} />
        </Section>
        <Section
          title={trans.__('Parameters')}
          testid="orch-section-parameters"
        >
          <ParametersTable parameters={run.parameters} trans={trans} />
        </Section>
      </div>
      <Section
        title={trans.__('Task runs (%1)', tasks.length)}
        testid="orch-section-tasks"
      >
        {tasks.length ? (
          <>
            <TaskGraph
              tasks={tasks}
              edges={model.graph.edges}
              openTask={openTask}
              trans={trans}
            />
            <Gantt tasks={listed} trans={trans} />
            <TaskTable tasks={listed} openTask={openTask} trans={trans} />
            {listed.length < tasks.length ? (
              <Button
                small
                minimal
                onClick={() => setAllTasks(true)}
                data-testid="orch-tasks-show-all"
              >
                {trans.__('Show all %1 task runs', tasks.length)}
              </Button>
            ) : null}
          </>
        ) : (
          <Empty>{trans.__('No task runs.')}</Empty>
        )}
        {model.graph.subflow_runs?.length ? (
          <ul className="jp-Orch-linkList">
            {model.graph.subflow_runs.map(s => (
              <li key={s.id}>
                <StateBadge type={s.state_type} name={s.state_name} />{' '}
                <a
                  href="#"
                  className="jp-Orch-link"
                  onClick={e => {
                    e.preventDefault();
                    props.nav.open('run', s.id);
                  }}
                >
                  {trans.__('subflow %1', `${s.flow_name}/${s.name}`)}
                </a>
              </li>
            ))}
          </ul>
        ) : null}
      </Section>
      <Section title={trans.__('Logs')} testid="orch-section-logs">
        <LogView logs={model.logs} trans={trans} />
      </Section>
      <Section title={trans.__('Artifacts')} testid="orch-section-artifacts">
        {model.artifacts.length ? (
          model.artifacts.map(a => (
            <ArtifactView
              key={a.id}
              artifact={a}
              rendermime={props.rendermime}
            />
          ))
        ) : (
          <Empty>
            {trans.__(
              'No artifacts. Create some with create_markdown_artifact() or create_table_artifact().'
            )}
          </Empty>
        )}
      </Section>
    </div>
  );
}
