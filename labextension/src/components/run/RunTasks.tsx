/**
 * A run's task runs: the table, the Gantt chart on a shared time axis, and
 * the task section of the run page (graph, chart, table, subflows).
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import {
  duration,
  elapsed,
  formatTime,
  relativeTime,
  stateColor
} from '../../format';
import { IGraphTask, INavigator, IRunGraph } from '../../tokens';
import { Empty, ITransProps, Section, StateBadge } from '../common';
import { TaskGraph } from './TaskGraph';

export function TaskTable(
  props: { tasks: IGraphTask[]; openTask?: (id: string) => void } & ITransProps
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
  props: { tasks: IGraphTask[] } & ITransProps
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
  const rowH = GANTT_ROW;
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

/** Task runs in the Gantt chart and the table before "Show all". */
const TASKS_LISTED = 200;

/**
 * Content below the graph that the browser lays out and paints only once it
 * is scrolled near (CSS `content-visibility: auto`), taking `height` px
 * meanwhile. The Gantt chart and the table of a large run (200 rows each,
 * thousands of pixels below the fold) were most of the run page's first
 * layouts; their elements are in the document all the same.
 */
function Offscreen(props: {
  height: number;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div
      className="jp-Orch-offscreen"
      style={{ containIntrinsicSize: `auto ${Math.round(props.height)}px` }}
    >
      {props.children}
    </div>
  );
}

/** About how tall the chart and the table of `rows` task runs are (px). */
const GANTT_ROW = 18;
const TABLE_ROW = 28;

/**
 * The task section of a run page: the graph shows every task run; the Gantt
 * chart and the table the first ones until asked, so a run of thousands of
 * tasks opens quickly. Subflow runs are listed under them.
 */
export function TaskSection(
  props: { graph: IRunGraph; nav: INavigator } & ITransProps
): JSX.Element {
  const { graph, nav, trans } = props;
  const [allTasks, setAllTasks] = useState(false);
  const tasks = graph.task_runs;
  const listed = allTasks ? tasks : tasks.slice(0, TASKS_LISTED);
  const openTask = (id: string) => nav.open('task-run', id);
  return (
    <Section
      title={trans.__('Task runs (%1)', tasks.length)}
      testid="orch-section-tasks"
    >
      {tasks.length ? (
        <>
          <TaskGraph tasks={tasks} openTask={openTask} trans={trans} />
          <Offscreen height={listed.length * GANTT_ROW + 32}>
            <Gantt tasks={listed} trans={trans} />
          </Offscreen>
          <Offscreen height={(listed.length + 1) * TABLE_ROW}>
            <TaskTable tasks={listed} openTask={openTask} trans={trans} />
          </Offscreen>
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
      {graph.subflow_runs?.length ? (
        <ul className="jp-Orch-linkList">
          {graph.subflow_runs.map(s => (
            <li key={s.id}>
              <StateBadge type={s.state_type} name={s.state_name} />{' '}
              <a
                href="#"
                className="jp-Orch-link"
                onClick={e => {
                  e.preventDefault();
                  nav.open('run', s.id);
                }}
              >
                {trans.__('subflow %1', `${s.flow_name}/${s.name}`)}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
    </Section>
  );
}
