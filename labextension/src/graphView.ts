/**
 * What of a laid-out task graph to draw: only the nodes and edges inside the
 * scrolled viewport plus a margin (a run of 1,000 task runs is ~7,000 SVG
 * elements when drawn whole, most of them out of sight), and all the edges
 * in view as one path, their arrowheads as another.
 *
 * The drawn window is the viewport grown by a margin and snapped outwards to
 * a grid of that margin, so scrolling redraws only when it crosses a grid
 * line, not on every scroll event.
 */
import { IGraphLayout, ILaidOutNode } from './graphLayout';

export interface IRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** How far beyond the viewport nodes and edges are drawn (px), and the grid. */
export const VIEW_MARGIN = 400;

/** The viewport assumed before the scroll area has a size (jsdom, hidden tab). */
export const DEFAULT_VIEWPORT = { width: 1600, height: 900 };

const ARROW_LENGTH = 7;
const ARROW_HALF_WIDTH = 3.5;

/** The window to draw for a viewport: grown by `margin`, snapped to a grid of it. */
export function drawWindow(view: IRect, margin = VIEW_MARGIN): IRect {
  const left = Math.floor((view.left - margin) / margin) * margin;
  const top = Math.floor((view.top - margin) / margin) * margin;
  const right = Math.ceil((view.left + view.width + margin) / margin) * margin;
  const bottom = Math.ceil((view.top + view.height + margin) / margin) * margin;
  return { left, top, width: right - left, height: bottom - top };
}

export function sameRect(a: IRect | null, b: IRect | null): boolean {
  return (
    a === b ||
    (!!a &&
      !!b &&
      a.left === b.left &&
      a.top === b.top &&
      a.width === b.width &&
      a.height === b.height)
  );
}

/** The nodes whose box meets the window, in the layout's order. */
export function nodesIn(layout: IGraphLayout, win: IRect): ILaidOutNode[] {
  const right = win.left + win.width;
  const bottom = win.top + win.height;
  return layout.nodes.filter(
    n =>
      n.x + n.width / 2 >= win.left &&
      n.x - n.width / 2 <= right &&
      n.y + n.height / 2 >= win.top &&
      n.y - n.height / 2 <= bottom
  );
}

/** Whether the segment a-b meets the rectangle (Liang-Barsky clipping). */
export function segmentMeets(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  r: IRect
): boolean {
  const dx = bx - ax;
  const dy = by - ay;
  let t0 = 0;
  let t1 = 1;
  const sides: [number, number][] = [
    [-dx, ax - r.left],
    [dx, r.left + r.width - ax],
    [-dy, ay - r.top],
    [dy, r.top + r.height - ay]
  ];
  for (const [p, q] of sides) {
    if (p === 0) {
      if (q < 0) {
        return false;
      }
      continue;
    }
    const t = q / p;
    if (p < 0) {
      t0 = Math.max(t0, t);
    } else {
      t1 = Math.min(t1, t);
    }
    if (t0 > t1) {
      return false;
    }
  }
  return true;
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

export interface IEdgePaths {
  /** One path of every edge in the window: `M x,y L x,y ...` per edge. */
  lines: string;
  /** Their arrowheads, filled triangles at the downstream end. */
  arrows: string;
  count: number;
}

/** The edges meeting the window as two path strings (lines, arrowheads). */
export function edgePaths(layout: IGraphLayout, win: IRect): IEdgePaths {
  const lines: string[] = [];
  const arrows: string[] = [];
  for (const e of layout.edges) {
    const pts = e.points;
    let meets = false;
    for (let i = 1; i < pts.length && !meets; i++) {
      const [a, b] = [pts[i - 1], pts[i]];
      meets = segmentMeets(a.x, a.y, b.x, b.y, win);
    }
    if (!meets) {
      continue;
    }
    lines.push(`M${pts.map(p => `${fmt(p.x)},${fmt(p.y)}`).join('L')}`);
    const tip = pts[pts.length - 1];
    const from = pts[pts.length - 2];
    const len = Math.hypot(tip.x - from.x, tip.y - from.y) || 1;
    const ux = (tip.x - from.x) / len;
    const uy = (tip.y - from.y) / len;
    const bx = tip.x - ux * ARROW_LENGTH;
    const by = tip.y - uy * ARROW_LENGTH;
    arrows.push(
      `M${fmt(tip.x)},${fmt(tip.y)}` +
        `L${fmt(bx - uy * ARROW_HALF_WIDTH)},${fmt(by + ux * ARROW_HALF_WIDTH)}` +
        `L${fmt(bx + uy * ARROW_HALF_WIDTH)},${fmt(by - ux * ARROW_HALF_WIDTH)}Z`
    );
  }
  return {
    lines: lines.join(''),
    arrows: arrows.join(''),
    count: lines.length
  };
}
