/**
 * The task dependency graph of a run, laid out by graphLayout and drawn as SVG;
 * every node opens its task-run page (click, Enter or Space).
 */
import React, { useMemo } from 'react';

import { stateColor } from '../../format';
import { layoutGraph } from '../../graphLayout';
import { IEdge, ITaskRun } from '../../tokens';
import { ITransProps } from '../common';

/** The task dependency graph, laid out by graphLayout (layered) and drawn as SVG. */
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
