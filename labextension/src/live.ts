/**
 * {@link LiveResource}: data a page shows, reloaded when the event stream
 * says it changed, and polled only while the stream is down.
 *
 * Pages hold one per thing they show (a run list, a deployment, a work pool's
 * workers). Events are coalesced by a short debounce so a burst of task-run
 * states costs one request, not one per event.
 */
import { IDisposable } from '@lumino/disposable';
import { Debouncer, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IEventFilter, IEventStream, IOrchEvent } from './events';
import { errorMessage } from './request';

export namespace LiveResource {
  export interface IOptions<T> {
    /** Load the data; a rejection is kept as `error` and the poll backs off. */
    fetch: () => Promise<T>;
    /** The shared event stream; without it the resource only polls. */
    events?: IEventStream | null;
    /** Events that make the data stale; null: only poll. */
    filter?: IEventFilter | null;
    /** Poll interval while the stream is down (ms). */
    interval?: number;
    /** Poll interval while the stream is up: a safety net only (ms). */
    liveInterval?: number;
    /** Wait this long after an event for more before reloading (ms). */
    debounce?: number;
    /** Called for each matching event before the reload (to patch data at once). */
    onEvent?: (event: IOrchEvent) => void;
    /** Start loading now (default true). */
    autoStart?: boolean;
    name?: string;
  }
}

export class LiveResource<T> implements IDisposable {
  constructor(options: LiveResource.IOptions<T>) {
    this._fetch = options.fetch;
    this._events = options.events ?? null;
    this._interval = options.interval ?? 5000;
    this._liveInterval = options.liveInterval ?? 60000;
    this._onEvent = options.onEvent;
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this._load(),
      frequency: this._frequency(),
      name: options.name ?? 'jupyter-orch:live',
      standby: 'when-hidden'
    });
    this._debouncer = new Debouncer(
      () => this.refresh(),
      options.debounce ?? 60
    );
    if (this._events) {
      this._events.connectionChanged.connect(this._onConnection, this);
      if (options.filter) {
        this._subscription = this._events.subscribe(options.filter, event => {
          this._onEvent?.(event);
          void this._debouncer.invoke();
        });
      }
    }
  }

  data: T | null = null;
  error: string | null = null;
  loaded = false;

  /** Emitted when data or error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Load now; errors end up in `error`. */
  async refresh(): Promise<void> {
    try {
      await this._load();
    } catch {
      // Kept in this.error.
    }
  }

  /** Tell the views that `data` was patched in place (from an event). */
  notify(): void {
    this._changed.emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._subscription?.dispose();
    this._events?.connectionChanged.disconnect(this._onConnection, this);
    this._debouncer.dispose();
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _frequency() {
    const interval = this._events?.connected
      ? this._liveInterval
      : this._interval;
    return { interval, backoff: true, max: Math.max(interval * 6, 60000) };
  }

  private _onConnection(_: IEventStream, connected: boolean): void {
    this._poll.frequency = this._frequency();
    if (connected) {
      // Events may have been missed while the socket was down.
      void this.refresh();
    }
  }

  private async _load(): Promise<void> {
    // Only the latest of overlapping loads may land, so an older answer never wins.
    const ticket = ++this._ticket;
    try {
      const data = await this._fetch();
      if (ticket !== this._ticket || this.isDisposed) {
        return;
      }
      const serialized = JSON.stringify(data);
      const changed =
        serialized !== this._serialized || this.error !== null || !this.loaded;
      this._serialized = serialized;
      this.data = data;
      this.error = null;
      this.loaded = true;
      if (changed) {
        this._changed.emit();
      }
    } catch (error) {
      if (ticket !== this._ticket || this.isDisposed) {
        return;
      }
      const message = errorMessage(error);
      this.loaded = true;
      if (message !== this.error) {
        this.error = message;
        this._changed.emit();
      }
      throw error;
    }
  }

  private _fetch: () => Promise<T>;
  private _events: IEventStream | null;
  private _interval: number;
  private _liveInterval: number;
  private _onEvent?: (event: IOrchEvent) => void;
  private _poll: Poll;
  private _debouncer: Debouncer;
  private _subscription: IDisposable | null = null;
  private _serialized = '';
  private _ticket = 0;
  private _changed = new Signal<this, void>(this);
}
