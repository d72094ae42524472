/**
 * Small formatting helpers shared by the views (times, durations, states).
 */
import {
  IDeployment,
  IDeploymentSchedule,
  ISchedule,
  IWorker,
  StateType
} from './tokens';

/** "in 5 min", "3 h ago"… relative to `now`. */
export function relativeTime(
  iso: string | null | undefined,
  now = Date.now()
): string {
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
  return Number.isNaN(s) || Number.isNaN(e)
    ? null
    : Math.max(0, (e - s) / 1000);
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
export function stateClass(
  type: StateType | string | null | undefined
): string {
  return `jp-Orch-state jp-Orch-state-${(type ?? 'UNKNOWN').toLowerCase()}`;
}

/** CSS colour variable for a state type, for SVG fills. */
export function stateColor(
  type: StateType | string | null | undefined
): string {
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
export function toServerPath(
  location: string,
  serverRoot: string
): string | null {
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

/** A schedule in words: the server's description, else cron/interval. */
export function scheduleText(s: IDeploymentSchedule): string {
  if (s.description) {
    return s.description;
  }
  // Tolerate a flat schedule ({cron, interval, timezone}) as well as the nested one.
  const { cron, interval, timezone } =
    s.schedule ?? (s as unknown as ISchedule);
  const base = cron
    ? `cron ${cron}`
    : interval
      ? describeInterval(interval)
      : '—';
  return timezone ? `${base} (${timezone})` : base;
}

/**
 * What a deployment runs: "Snapshot of etl.ipynb taken …" (a copy made at deploy time; later
 * edits to the file do not change scheduled runs) or "Live: reads etl.ipynb at run time".
 * Null when the deployment does not say (Python deployments run their entrypoint).
 */
export function storageText(
  d: Pick<IDeployment, 'storage' | 'entrypoint' | 'path'>,
  trans: { __: (msg: string, ...args: any[]) => string } = {
    __: (m, ...a) => fill(m, a)
  }
): string | null {
  const storage = d.storage;
  const source = storage?.source ?? d.path ?? d.entrypoint ?? '';
  const file = source.split('/').pop() || source;
  if (storage?.type === 'live') {
    return trans.__('Live: reads %1 at run time', file);
  }
  if (storage?.type === 'snapshot') {
    return storage.snapshot_time
      ? trans.__(
          'Snapshot of %1 taken %2',
          file,
          formatTime(storage.snapshot_time)
        )
      : trans.__('Snapshot of %1', file);
  }
  return null;
}

function fill(msg: string, args: unknown[]): string {
  return args.reduce<string>(
    (out, arg, i) => out.replace(`%${i + 1}`, String(arg)),
    msg
  );
}

/** A worker is considered online when it sent a heartbeat recently. */
const ONLINE_SECONDS = 90;

/** The shell command that starts a worker for `pool`, quoted if needed. */
export function workerCommand(pool: string): string {
  return /^[\w.-]+$/.test(pool)
    ? `jupyter orch worker start --pool ${pool}`
    : `jupyter orch worker start --pool '${pool.replace(/'/g, `'\\''`)}'`;
}

export function isOnline(worker: IWorker, now = Date.now()): boolean {
  if (worker.status && worker.status.toUpperCase() === 'OFFLINE') {
    return false;
  }
  const t = worker.last_heartbeat_time
    ? Date.parse(worker.last_heartbeat_time)
    : NaN;
  return !Number.isNaN(t) && now - t < ONLINE_SECONDS * 1000;
}

/** Rows of a table artifact: a list of objects, a list of lists, or columns. */
export function tableRows(data: unknown): {
  columns: string[];
  rows: unknown[][];
} {
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return { columns: ['value'], rows: [[data]] };
    }
  }
  if (Array.isArray(data)) {
    if (data.every(r => Array.isArray(r))) {
      return { columns: [], rows: data as unknown[][] };
    }
    const columns = Array.from(
      new Set(
        data.flatMap(r => (r && typeof r === 'object' ? Object.keys(r) : []))
      )
    );
    return {
      columns,
      rows: data.map(r => columns.map(c => (r as Record<string, unknown>)?.[c]))
    };
  }
  if (data && typeof data === 'object') {
    const cols = data as Record<string, unknown[]>;
    const columns = Object.keys(cols);
    const n = Math.max(
      0,
      ...columns.map(c => (Array.isArray(cols[c]) ? cols[c].length : 0))
    );
    return {
      columns,
      rows: Array.from({ length: n }, (_, i) => columns.map(c => cols[c]?.[i]))
    };
  }
  return { columns: [], rows: [] };
}
