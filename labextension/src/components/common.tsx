/**
 * Building blocks shared by the sidebar and the run page.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal } from '@lumino/signaling';
import React, { useEffect, useReducer, useState } from 'react';

import { errorMessage } from '../request';
import { stateClass } from '../format';
import { INavigator, PageKind } from '../tokens';

/** Re-render whenever `signal` fires. */
export function useSignal(signal: ISignal<any, any>): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const slot = () => bump();
    signal.connect(slot);
    return () => {
      signal.disconnect(slot);
    };
  }, [signal]);
}

/**
 * Wrap an async action: tracks `busy` and keeps the error message so it is
 * shown next to the control that failed instead of being swallowed.
 */
export function useAction(): {
  busy: boolean;
  error: string | null;
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(null) };
}

export function ErrorMessage(props: {
  error: string | null | undefined;
}): JSX.Element | null {
  if (!props.error) {
    return null;
  }
  return (
    <div className="jp-Orch-error" role="alert" data-testid="orch-error">
      {props.error}
    </div>
  );
}

export function Empty(props: {
  children: React.ReactNode;
  testid?: string;
}): JSX.Element {
  return (
    <div className="jp-Orch-empty" data-testid={props.testid ?? 'orch-empty'}>
      {props.children}
    </div>
  );
}

export function StateBadge(props: {
  type: string | null | undefined;
  name?: string | null;
}): JSX.Element {
  return (
    <span
      className={stateClass(props.type)}
      data-testid="orch-state"
      data-state-type={props.type ?? ''}
      title={props.type ?? ''}
    >
      {props.name || props.type || '—'}
    </span>
  );
}

/** A titled block with a stable test id. */
export function Section(props: {
  title: string;
  testid: string;
  children: React.ReactNode;
  actions?: React.ReactNode;
}): JSX.Element {
  return (
    <section className="jp-Orch-section" data-testid={props.testid}>
      <header className="jp-Orch-sectionHeader">
        <h3>{props.title}</h3>
        {props.actions}
      </header>
      <div className="jp-Orch-sectionBody">{props.children}</div>
    </section>
  );
}

export interface ITransProps {
  trans: TranslationBundle;
}

/** A link to an object's page (keyboard reachable: a real link, Enter opens it). */
export function PageLink(props: {
  nav: INavigator;
  kind: PageKind;
  id?: string | null;
  children: React.ReactNode;
  testid?: string;
  title?: string;
}): JSX.Element {
  if (props.id === null) {
    return <>{props.children}</>;
  }
  return (
    <a
      href="#"
      className="jp-Orch-link"
      data-testid={props.testid}
      title={props.title}
      onClick={e => {
        e.preventDefault();
        props.nav.open(props.kind, props.id ?? undefined);
      }}
    >
      {props.children}
    </a>
  );
}
