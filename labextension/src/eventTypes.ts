/**
 * The types of the live event feed, apart from its socket so that `tokens.ts`
 * (the service interface) and `events.ts` (the socket) both import them and
 * neither imports the other.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';
import type { components } from './api';

type StateType = components['schemas']['StateType'];

/** One message of the feed (schema `EventOut` in openapi.json). */
export interface IOrchEvent {
  kind: 'flow_run' | 'task_run' | 'log' | 'artifact' | 'overflow' | string;
  id?: string | number | null;
  flow_run_id?: string | null;
  task_run_id?: string | null;
  flow_id?: string | null;
  deployment_id?: string | null;
  name?: string | null;
  state_type?: StateType | null;
  state_name?: string | null;
  message?: string | null;
  level?: number | null;
  key?: string | null;
  type?: string | null;
  timestamp?: string | null;
  dropped?: number | null;
}

/** What a listener wants to hear about; every given field must match. */
export interface IEventFilter {
  kind?: string[];
  flow_run_id?: string;
  task_run_id?: string;
  deployment_id?: string;
  flow_id?: string;
}

/** The part of the event stream the models and pages use. */
export interface IEventStream {
  /** True while the socket is open. */
  readonly connected: boolean;
  /** Emits the new `connected` value; on `true` listeners reload (they may have missed events). */
  readonly connectionChanged: ISignal<IEventStream, boolean>;
  /** Call `handler` for every event matching `filter` until the result is disposed. */
  subscribe(
    filter: IEventFilter,
    handler: (event: IOrchEvent) => void
  ): IDisposable;
}
