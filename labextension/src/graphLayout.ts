/**
 * Task dependency graph layout with dagre (bundled; no network access).
 */
import { Graph, layout } from '@dagrejs/dagre';

import { IEdge, ITaskRun } from './tokens';

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 36;

export interface ILaidOutNode {
  task: ITaskRun;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ILaidOutEdge {
  edge: IEdge;
  points: { x: number; y: number }[];
}

export interface IGraphLayout {
  width: number;
  height: number;
  nodes: ILaidOutNode[];
  edges: ILaidOutEdge[];
}

/**
 * Lay the task runs out left to right; node (x, y) is the centre as dagre
 * returns it. Edges whose ends are unknown task runs are dropped.
 */
export function layoutGraph(tasks: ITaskRun[], edges: IEdge[]): IGraphLayout {
  const g = new Graph({ multigraph: true });
  g.setGraph({
    rankdir: 'LR',
    nodesep: 16,
    ranksep: 40,
    marginx: 8,
    marginy: 8
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const task of tasks) {
    g.setNode(task.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  const ids = new Set(tasks.map(t => t.id));
  const kept = edges.filter(
    e =>
      ids.has(e.upstream_id) &&
      ids.has(e.downstream_id) &&
      e.upstream_id !== e.downstream_id
  );
  kept.forEach((e, i) =>
    g.setEdge(e.upstream_id, e.downstream_id, {}, String(i))
  );
  layout(g);
  const graph = g.graph() as { width?: number; height?: number };
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    nodes: tasks.map(task => {
      const n = g.node(task.id) as {
        x: number;
        y: number;
        width: number;
        height: number;
      };
      return { task, x: n.x, y: n.y, width: n.width, height: n.height };
    }),
    edges: kept.map((edge, i) => ({
      edge,
      points: (
        g.edge({
          v: edge.upstream_id,
          w: edge.downstream_id,
          name: String(i)
        }) as {
          points: { x: number; y: number }[];
        }
      ).points
    }))
  };
}
