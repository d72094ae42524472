import { describe, expect, it } from 'vitest';

import { layoutGraph } from '../src/graphLayout';
import {
  drawWindow,
  edgePaths,
  nodesIn,
  sameRect,
  segmentMeets,
  VIEW_MARGIN
} from '../src/graphView';
import { fanIn } from './graphFixtures';

const view = { left: 0, top: 0, width: 1300, height: 420 };

describe('drawWindow', () => {
  it('grows the viewport by the margin, snapped to its grid', () => {
    const win = drawWindow(view);
    expect(win.left).toBeLessThanOrEqual(-VIEW_MARGIN);
    expect(win.top).toBeLessThanOrEqual(-VIEW_MARGIN);
    expect(win.left + win.width).toBeGreaterThanOrEqual(1300 + VIEW_MARGIN);
    expect(win.top + win.height).toBeGreaterThanOrEqual(420 + VIEW_MARGIN);
    expect(Math.abs(win.left % VIEW_MARGIN)).toBe(0);
  });

  it('stays the same for small scrolls, so nothing is redrawn', () => {
    const a = drawWindow({ ...view, left: 10 });
    const b = drawWindow({ ...view, left: 60 });
    expect(sameRect(a, b)).toBe(true);
    expect(sameRect(a, drawWindow({ ...view, left: 10 + VIEW_MARGIN }))).toBe(
      false
    );
  });
});

describe('segmentMeets', () => {
  const r = { left: 0, top: 0, width: 100, height: 100 };
  it('finds segments crossing, inside or outside the rectangle', () => {
    expect(segmentMeets(-50, 50, 150, 50, r)).toBe(true); // across
    expect(segmentMeets(10, 10, 20, 20, r)).toBe(true); // inside
    expect(segmentMeets(-50, -50, -10, 200, r)).toBe(false); // left of it
    expect(segmentMeets(150, -10, 250, 300, r)).toBe(false); // right of it
    // its bounding box meets the corner, the segment does not
    expect(segmentMeets(90, -30, 130, 10, r)).toBe(false);
    expect(segmentMeets(50, -1000, 50, 1000, r)).toBe(true); // vertical
  });
});

describe('drawing 1,000 task runs', () => {
  const { tasks, edges } = fanIn(1000);
  const g = layoutGraph(tasks, edges);

  it('draws only the nodes and edges near the viewport', () => {
    const win = drawWindow(view);
    const nodes = nodesIn(g, win);
    expect(nodes.length).toBeGreaterThan(20);
    expect(nodes.length).toBeLessThan(200);
    const paths = edgePaths(g, win);
    expect(paths.count).toBeGreaterThan(20);
    expect(paths.count).toBeLessThan(250);
    expect(paths.lines.match(/M/g)).toHaveLength(paths.count);
    expect(paths.arrows.match(/Z/g)).toHaveLength(paths.count);
  });

  it('draws the rest as the view scrolls along', () => {
    const drawn = new Set<string>();
    for (let left = 0; left < g.width; left += 1000) {
      for (const n of nodesIn(g, drawWindow({ ...view, left }))) {
        drawn.add(n.task.id);
      }
    }
    expect(drawn.size).toBe(1000);
  });

  it('draws everything of a small graph', () => {
    const small = fanIn(11);
    const sg = layoutGraph(small.tasks, small.edges);
    const win = drawWindow(view);
    expect(nodesIn(sg, win)).toHaveLength(11);
    expect(edgePaths(sg, win).count).toBe(10);
  });
});
