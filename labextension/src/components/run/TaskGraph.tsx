/**
 * The task dependency graph of a run, laid out by graphLayout and drawn as SVG;
 * every node opens its task-run page (click, Enter or Space).
 *
 * Only what is in view is drawn (graphView): the nodes and edges inside the
 * scrolled area plus a margin, redrawn as it scrolls or resizes, the edges as
 * one path and their arrowheads as another. A run of 1,000 task runs is then
 * about a hundred nodes in the DOM instead of ~7,000 elements.
 */
import React, {
  memo,
  useCallback,
  useLayoutEffect,
  useMemo,
  useRef,
  useState
} from 'react';

import { stateColor } from '../../format';
import { ILaidOutNode, layoutGraph, upstreamLinks } from '../../graphLayout';
import {
  DEFAULT_VIEWPORT,
  drawWindow,
  edgePaths,
  IRect,
  nodesIn,
  sameRect
} from '../../graphView';
import { timed } from '../../perf';
import { IGraphTask } from '../../tokens';
import { ITransProps } from '../common';

/** The window to draw for the scroll area's current position and size. */
function windowOf(el: HTMLElement | null): IRect {
  return drawWindow({
    left: el?.scrollLeft ?? 0,
    top: el?.scrollTop ?? 0,
    width: el?.clientWidth || DEFAULT_VIEWPORT.width,
    height: el?.clientHeight || DEFAULT_VIEWPORT.height
  });
}

/** The task run id of the node an event happened in, if any. */
function nodeOf(e: React.SyntheticEvent): string | null {
  const node = (e.target as Element).closest?.('[data-task-run-id]');
  return node?.getAttribute('data-task-run-id') ?? null;
}

/** One task run's box; redrawn only when its task run changes. */
const GraphNode = memo(function GraphNode(
  props: { node: ILaidOutNode; task: IGraphTask } & ITransProps
): JSX.Element {
  const { node: n, task } = props;
  return (
    <g
      className="jp-Orch-graphNode"
      data-testid="orch-graph-node"
      data-state-type={task.state_type}
      data-task-run-id={task.id}
      transform={`translate(${n.x - n.width / 2}, ${n.y - n.height / 2})`}
      role="button"
      tabIndex={0}
      aria-label={props.trans.__('Open task run %1', task.name)}
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
        {task.name.length > 20 ? `${task.name.slice(0, 19)}…` : task.name}
      </text>
      <text x={12} y={29} className="jp-Orch-svgText jp-Orch-muted">
        {task.state_name}
      </text>
    </g>
  );
});

/** The task dependency graph, laid out by graphLayout (layered) and drawn as SVG. */
export function TaskGraph(
  props: {
    tasks: IGraphTask[];
    openTask?: (id: string) => void;
  } & ITransProps
): JSX.Element {
  const graph = useMemo(
    () =>
      timed('graph-layout', () =>
        layoutGraph(props.tasks, upstreamLinks(props.tasks))
      ),
    // Re-layout only when the structure changes, not on every state change.
    [props.tasks.map(t => `${t.id}<${t.upstream.join('<')}`).join()]
  );
  const scroller = useRef<HTMLDivElement>(null);
  const [win, setWin] = useState<IRect>(() => windowOf(null));
  const update = useCallback(() => {
    const next = windowOf(scroller.current);
    setWin(prev => (sameRect(prev, next) ? prev : next));
  }, []);
  useLayoutEffect(() => {
    update(); // before the first paint: the real size of the scroll area
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => observer.disconnect();
  }, [update]);
  const nodes = useMemo(() => nodesIn(graph, win), [graph, win]);
  const edges = useMemo(() => edgePaths(graph, win), [graph, win]);
  const byId = new Map(props.tasks.map(t => [t.id, t]));
  const open = (e: React.SyntheticEvent) => {
    const id = nodeOf(e);
    if (id) {
      e.preventDefault();
      props.openTask?.(id);
    }
  };
  return (
    <div className="jp-Orch-graphScroll" ref={scroller} onScroll={update}>
      <svg
        className="jp-Orch-graph"
        data-testid="orch-task-graph"
        data-node-count={graph.nodes.length}
        data-edge-count={graph.edges.length}
        width={graph.width}
        height={graph.height}
        viewBox={`0 0 ${graph.width} ${graph.height}`}
        onClick={open}
        onKeyDown={e => {
          if (e.key === 'Enter' || e.key === ' ') {
            open(e);
          }
        }}
      >
        {edges.count ? (
          <>
            <path
              className="jp-Orch-graphEdge"
              data-testid="orch-graph-edges"
              data-edge-count={edges.count}
              d={edges.lines}
            />
            <path className="jp-Orch-arrowHead" d={edges.arrows} />
          </>
        ) : null}
        {nodes.map(n => (
          <GraphNode
            key={n.task.id}
            node={n}
            task={byId.get(n.task.id) ?? (n.task as IGraphTask)}
            trans={props.trans}
          />
        ))}
      </svg>
    </div>
  );
}
