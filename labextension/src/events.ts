/**
 * The live event feed: one WebSocket to `GET /orch/api/events` shared by
 * every page, so a state committed by any process reaches an open page in
 * milliseconds instead of at the next poll.
 *
 * The socket uses Jupyter's ServerConnection settings (base URL, token), is
 * reopened with back-off when it drops, and tells its listeners when it
 * (re)connects so they reload what they may have missed meanwhile. Pages keep
 * a slow poll as a fallback for while the socket is down.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IEventFilter, IEventStream, IOrchEvent } from './eventTypes';

export type { IEventFilter, IEventStream, IOrchEvent } from './eventTypes';

/** True when `event` passes `filter` (overflow events pass every filter). */
export function matches(event: IOrchEvent, filter: IEventFilter): boolean {
  if (event.kind === 'overflow') {
    return true;
  }
  if (filter.kind && filter.kind.length && !filter.kind.includes(event.kind)) {
    return false;
  }
  for (const key of [
    'flow_run_id',
    'task_run_id',
    'deployment_id',
    'flow_id'
  ] as const) {
    const wanted = filter[key];
    if (wanted && event[key] !== wanted) {
      // A flow run's own id is also its flow_run_id.
      if (!(
        key === 'flow_run_id' &&
        event.kind === 'flow_run' &&
        event.id === wanted
      )) {
        return false;
      }
    }
  }
  return true;
}

export namespace EventStream {
  export interface IOptions {
    settings?: ServerConnection.ISettings;
    /** Delay before the first reconnect, doubled on each failure up to `maxDelay` (ms). */
    minDelay?: number;
    maxDelay?: number;
    /** Open the socket only once somebody subscribes (default true). */
    lazy?: boolean;
  }
}

/** URL of the event socket for these settings, with the token when Jupyter appends it. */
export function eventsUrl(settings: ServerConnection.ISettings): string {
  let url = URLExt.join(settings.wsUrl, 'orch/api/events');
  const token = settings.token;
  if (token && (settings as { appendToken?: boolean }).appendToken !== false) {
    url += `?token=${encodeURIComponent(token)}`;
  }
  return url;
}

/** The shared WebSocket to the event feed. */
export class EventStream implements IEventStream, IDisposable {
  constructor(options: EventStream.IOptions = {}) {
    this._settings = options.settings ?? ServerConnection.makeSettings();
    this._minDelay = options.minDelay ?? 500;
    this._maxDelay = options.maxDelay ?? 30000;
    this._delay = this._minDelay;
    if (options.lazy === false) {
      this._open();
    }
  }

  get connected(): boolean {
    return this._connected;
  }
  get connectionChanged(): ISignal<IEventStream, boolean> {
    return this._connectionChanged;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }
  /** Events received since the page loaded (for diagnostics and tests). */
  get received(): number {
    return this._received;
  }

  subscribe(
    filter: IEventFilter,
    handler: (event: IOrchEvent) => void
  ): IDisposable {
    const entry = { filter, handler };
    this._listeners.add(entry);
    if (!this._socket && !this._timer && !this._disposed) {
      this._open();
    }
    const listeners = this._listeners;
    let disposed = false;
    return {
      get isDisposed() {
        return disposed;
      },
      dispose() {
        disposed = true;
        listeners.delete(entry);
      }
    };
  }

  /** Deliver an event as if it came from the socket (tests, and events made locally). */
  dispatch(event: IOrchEvent): void {
    this._received++;
    for (const { filter, handler } of Array.from(this._listeners)) {
      if (matches(event, filter)) {
        try {
          handler(event);
        } catch (error) {
          console.error('jupyter-orch: event handler failed', error);
        }
      }
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._timer) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    const socket = this._socket;
    this._socket = null;
    socket?.close();
    this._listeners.clear();
    Signal.clearData(this);
  }

  private _open(): void {
    this._timer = null;
    if (this._disposed) {
      return;
    }
    const Socket = this._settings.WebSocket ?? WebSocket;
    let socket: WebSocket;
    try {
      socket = new Socket(eventsUrl(this._settings));
    } catch (error) {
      console.warn('jupyter-orch: cannot open the event socket', error);
      this._scheduleReconnect();
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      this._delay = this._minDelay;
      this._setConnected(true);
    };
    socket.onmessage = (message: MessageEvent) => {
      let event: IOrchEvent;
      try {
        event = JSON.parse(String(message.data));
      } catch {
        return;
      }
      this.dispatch(event);
    };
    socket.onclose = () => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      this._setConnected(false);
      this._scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  }

  private _scheduleReconnect(): void {
    if (this._disposed || this._timer) {
      return;
    }
    const delay = this._delay;
    this._delay = Math.min(this._maxDelay, this._delay * 2);
    this._timer = setTimeout(() => this._open(), delay);
  }

  private _setConnected(value: boolean): void {
    if (value !== this._connected) {
      this._connected = value;
      this._connectionChanged.emit(value);
    }
  }

  private _settings: ServerConnection.ISettings;
  private _socket: WebSocket | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _minDelay: number;
  private _maxDelay: number;
  private _delay: number;
  private _connected = false;
  private _disposed = false;
  private _received = 0;
  private _listeners = new Set<{
    filter: IEventFilter;
    handler: (event: IOrchEvent) => void;
  }>();
  private _connectionChanged = new Signal<IEventStream, boolean>(this);
}
