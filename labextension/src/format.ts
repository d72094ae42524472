/**
 * Small formatting helpers shared by the views (times, durations, states).
 */
import { StateType } from './tokens';

/** "in 5 min", "3 h ago"… relative to `now`. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) {
    return '—';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) {
    return iso;
  }
  const seconds = Math.round((t - now) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [abs, 's']
      : abs < 3600
        ? [Math.round(abs / 60), 'min']
        : abs < 86400
          ? [Math.round(abs / 3600), 'h']
          : [Math.round(abs / 86400), 'd'];
  if (abs < 5) {
    return 'just now';
  }
  return seconds > 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

/** "1 h 2 min", "3.4 s". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) {
    return '—';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${Math.round(seconds % 60)} s`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Seconds between two ISO times, the end defaulting to now. */
export function elapsed(
  start: string | null | undefined,
  end: string | null | undefined,
  now = Date.now()
): number | null {
  if (!start) {
    return null;
  }
  const s = Date.parse(start);
  const e = end ? Date.parse(end) : now;
  return Number.isNaN(s) || Number.isNaN(e) ? null : Math.max(0, (e - s) / 1000);
}

/** Local date and time, compact. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return '—';
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** CSS class carrying the colour of a state type (see style/base.css). */
export function stateClass(type: StateType | string | null | undefined): string {
  return `jp-Orch-state jp-Orch-state-${(type ?? 'UNKNOWN').toLowerCase()}`;
}

/** CSS colour variable for a state type, for SVG fills. */
export function stateColor(type: StateType | string | null | undefined): string {
  return `var(--jp-orch-state-${(type ?? 'unknown').toLowerCase()}, var(--jp-layout-color3))`;
}

/** "Every 1 h 30 min" for an interval in seconds. */
export function describeInterval(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [size, unit] of [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's']
  ] as [number, string][]) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return `every ${parts.join(' ') || '0 s'}`;
}

/**
 * Map a run's `output_location` to a path the Contents API can open, or
 * null when it lies outside the server root (or is a remote URL).
 */
export function toServerPath(location: string, serverRoot: string): string | null {
  let path = location.replace(/^file:\/\//, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    return null;
  }
  path = path.replace(/\\/g, '/');
  const root = serverRoot.replace(/\\/g, '/').replace(/\/+$/, '');
  const isAbsolute = path.startsWith('/') || /^[a-z]:\//i.test(path);
  if (!isAbsolute) {
    return path.replace(/^\.\//, '');
  }
  if (root && (path === root || path.startsWith(root + '/'))) {
    return path.slice(root.length + 1);
  }
  return null;
}
