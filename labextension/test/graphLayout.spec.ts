import { describe, expect, it } from 'vitest';

import { layoutGraph } from '../src/graphLayout';
import { fanIn, task } from './graphFixtures';

describe('layoutGraph at scale', () => {
  it('lays out 1,000 task runs with every edge left to right and no overlap', () => {
    const { tasks, edges } = fanIn(1000);
    const g = layoutGraph(tasks, edges);
    expect(g.nodes).toHaveLength(1000);
    expect(g.edges).toHaveLength(edges.length);
    const at = new Map(g.nodes.map(n => [n.task.id, n]));
    for (const e of edges) {
      expect(at.get(e.upstream_id)!.x).toBeLessThan(at.get(e.downstream_id)!.x);
    }
    const boxes = new Set(g.nodes.map(n => `${n.x},${n.y}`));
    expect(boxes.size).toBe(1000);
    for (const n of g.nodes) {
      expect(n.x - n.width / 2).toBeGreaterThanOrEqual(0);
      expect(n.y + n.height / 2).toBeLessThanOrEqual(g.height);
      expect(n.x + n.width / 2).toBeLessThanOrEqual(g.width);
    }
    // inputs sit just before their consumer, not all in the first column
    expect(at.get('t15')!.x).toBe(at.get('t10')!.x);
  });

  it('still places every node of a cycle (never recorded, but never a hang)', () => {
    const ring = ['a', 'b', 'c'];
    const g = layoutGraph(
      ring.map(task),
      ring.map((id, i) => ({
        upstream_id: id,
        downstream_id: ring[(i + 1) % 3]
      }))
    );
    expect(g.nodes.every(n => Number.isFinite(n.x + n.y))).toBe(true);
    expect(g.edges).toHaveLength(3);
  });

  it('lays out nothing as an empty graph', () => {
    expect(layoutGraph([], [])).toEqual({
      width: 0,
      height: 0,
      nodes: [],
      edges: []
    });
  });
});
