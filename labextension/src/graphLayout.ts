/**
 * Task dependency graph layout: layered, left to right, in O(E + n log n).
 *
 * A general-purpose layout (dagre's network simplex and crossing
 * minimisation) took ~2 s for a run of 1,000 task runs, so the run page
 * froze on large flows. Task graphs are DAGs made by the engine, and a
 * simple Sugiyama-style pass reads as well for them:
 *
 * 1. layers: the longest path from a source, then every node pulled right to
 *    just before its earliest consumer (so inputs sit next to their use);
 * 2. order inside a layer: a few barycenter sweeps (each node moves towards
 *    the mean height of its neighbours), which undoes most crossings;
 * 3. coordinates: fixed-size boxes stacked per layer, centred vertically;
 *    edges run from the right side of the upstream box to the left side of
 *    the downstream one.
 *
 * Nothing is measured in the DOM: every box has the same size.
 */
import { IGraphTask } from './tokens';

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 36;
const NODE_SEP = 16;
const RANK_SEP = 40;
const MARGIN = 8;
const SWEEPS = 4;

/** What the layout reads of a task run: its id. */
export interface INodeRef {
  id: string;
}

/** A dependency: the upstream task run feeds the downstream one. */
export interface ILink {
  upstream_id: string;
  downstream_id: string;
}

/** The dependencies of task runs that list their upstream ids, in their order. */
export function upstreamLinks(tasks: IGraphTask[]): ILink[] {
  return tasks.flatMap(t =>
    t.upstream.map(up => ({ upstream_id: up, downstream_id: t.id }))
  );
}

export interface ILaidOutNode {
  task: INodeRef;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ILaidOutEdge {
  edge: ILink;
  points: { x: number; y: number }[];
}

export interface IGraphLayout {
  width: number;
  height: number;
  nodes: ILaidOutNode[];
  edges: ILaidOutEdge[];
}

/** Adjacency by node index: parents and children of each, each pair once. */
interface IAdjacency {
  up: number[][];
  down: number[][];
}

function adjacency(n: number, pairs: [number, number][]): IAdjacency {
  const up: number[][] = Array.from({ length: n }, () => []);
  const down: number[][] = Array.from({ length: n }, () => []);
  const seen = new Set<number>();
  for (const [u, v] of pairs) {
    const key = u * n + v;
    if (!seen.has(key)) {
      seen.add(key);
      down[u].push(v);
      up[v].push(u);
    }
  }
  return { up, down };
}

/**
 * A topological order (Kahn); a cycle, which the engine never records, is
 * broken at its earliest node so that every node still gets a place.
 */
function topologicalOrder(adj: IAdjacency): number[] {
  const n = adj.up.length;
  const indegree = adj.up.map(p => p.length);
  const placed = new Uint8Array(n);
  const order: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < n; i++) {
    if (indegree[i] === 0) {
      ready.push(i);
    }
  }
  let next = 0; // lowest index that may not be placed yet (for cycles)
  let head = 0;
  while (order.length < n) {
    if (head === ready.length) {
      while (placed[next]) {
        next++;
      }
      ready.push(next); // in a cycle: take it as if its inputs were done
    }
    const u = ready[head++];
    if (placed[u]) {
      continue;
    }
    placed[u] = 1;
    order.push(u);
    for (const v of adj.down[u]) {
      if (--indegree[v] === 0 && !placed[v]) {
        ready.push(v);
      }
    }
  }
  return order;
}

/** Layer of each node: longest path from a source, then as late as its consumers allow. */
function assignLayers(adj: IAdjacency, order: number[]): number[] {
  const n = order.length;
  const rank = new Int32Array(n).fill(-1);
  const layer = new Array<number>(n).fill(0);
  order.forEach((u, i) => (rank[u] = i));
  for (const u of order) {
    for (const v of adj.down[u]) {
      if (rank[v] > rank[u]) {
        layer[v] = Math.max(layer[v], layer[u] + 1);
      }
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const u = order[i];
    let earliest = Infinity;
    for (const v of adj.down[u]) {
      if (rank[v] > rank[u]) {
        earliest = Math.min(earliest, layer[v]);
      }
    }
    if (earliest !== Infinity) {
      layer[u] = earliest - 1;
    }
  }
  return layer;
}

/** Nodes of each layer, in an order with few crossings (barycenter sweeps). */
function orderLayers(adj: IAdjacency, layer: number[]): number[][] {
  const depth = layer.reduce((m, l) => Math.max(m, l), -1) + 1;
  const layers: number[][] = Array.from({ length: depth }, () => []);
  layer.forEach((l, i) => layers[l].push(i)); // start in the tasks' own order
  const pos = new Float64Array(layer.length);
  const place = (nodes: number[]) => {
    const mid = (nodes.length - 1) / 2;
    nodes.forEach((u, i) => (pos[u] = i - mid));
  };
  layers.forEach(place);
  const bary = new Float64Array(layer.length);
  const sweep = (range: number[], neighbours: number[][]) => {
    for (const l of range) {
      const nodes = layers[l];
      for (const u of nodes) {
        const near = neighbours[u];
        if (near.length) {
          let sum = 0;
          for (const v of near) {
            sum += pos[v];
          }
          bary[u] = sum / near.length;
        } else {
          bary[u] = pos[u];
        }
      }
      nodes.sort((a, b) => bary[a] - bary[b] || pos[a] - pos[b]);
      place(nodes);
    }
  };
  const forward = layers.map((_, l) => l);
  const backward = [...forward].reverse();
  for (let s = 0; s < SWEEPS; s++) {
    if (s % 2 === 0) {
      sweep(forward.slice(1), adj.up);
    } else {
      sweep(backward.slice(1), adj.down);
    }
  }
  return layers;
}

/**
 * Lay the task runs out left to right; node (x, y) is the centre of its box.
 * Edges whose ends are unknown task runs (or the same run) are dropped.
 */
export function layoutGraph(tasks: INodeRef[], edges: ILink[]): IGraphLayout {
  const index = new Map<string, number>();
  tasks.forEach((t, i) => index.set(t.id, i));
  const kept: ILink[] = [];
  const pairs: [number, number][] = [];
  for (const e of edges) {
    const u = index.get(e.upstream_id);
    const v = index.get(e.downstream_id);
    if (u !== undefined && v !== undefined && u !== v) {
      kept.push(e);
      pairs.push([u, v]);
    }
  }
  if (!tasks.length) {
    return { width: 0, height: 0, nodes: [], edges: [] };
  }
  const adj = adjacency(tasks.length, pairs);
  const layer = assignLayers(adj, topologicalOrder(adj));
  const layers = orderLayers(adj, layer);
  const tallest = layers.reduce((m, l) => Math.max(m, l.length), 0);
  const stepX = NODE_WIDTH + RANK_SEP;
  const stepY = NODE_HEIGHT + NODE_SEP;
  const height = 2 * MARGIN + tallest * stepY - NODE_SEP;
  const width = 2 * MARGIN + layers.length * stepX - RANK_SEP;
  const x = new Float64Array(tasks.length);
  const y = new Float64Array(tasks.length);
  layers.forEach((nodes, l) => {
    const top = MARGIN + ((tallest - nodes.length) * stepY) / 2;
    nodes.forEach((u, i) => {
      x[u] = MARGIN + l * stepX + NODE_WIDTH / 2;
      y[u] = top + i * stepY + NODE_HEIGHT / 2;
    });
  });
  return {
    width,
    height,
    nodes: tasks.map((task, i) => ({
      task,
      x: x[i],
      y: y[i],
      width: NODE_WIDTH,
      height: NODE_HEIGHT
    })),
    edges: kept.map((edge, i) => {
      const [u, v] = pairs[i];
      const forward = x[v] > x[u];
      return {
        edge,
        points: [
          { x: x[u] + (forward ? 1 : -1) * (NODE_WIDTH / 2), y: y[u] },
          { x: x[v] - (forward ? 1 : -1) * (NODE_WIDTH / 2), y: y[v] }
        ]
      };
    })
  };
}
