/**
 * What each kind of page shows: the factories the page registry calls with
 * an object id to make a tab's content.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { DashboardPage } from '../components/DashboardPage';
import { TaskRunPage } from '../components/TaskRunPage';
import { INavigator, IOrchModel, PageKind } from '../tokens';
import { RunPanel } from '../widgets/RunWidget';
import { PageFactory } from './registry';
import { ReactPage } from './PageWidget';

export interface IPageDeps {
  model: IOrchModel;
  trans: TranslationBundle;
  rendermime: IRenderMimeRegistry | null;
  openOutput: (runId: string, location: string) => Promise<void>;
  nav: INavigator;
}

export function createPageFactories(
  deps: IPageDeps
): Partial<Record<PageKind, PageFactory>> {
  const { model, trans, rendermime, nav } = deps;
  return {
    run: id =>
      new RunPanel({
        model,
        runId: id!,
        trans,
        rendermime,
        openOutput: deps.openOutput,
        nav
      }),
    'task-run': id =>
      new ReactPage(page => (
        <TaskRunPage
          model={model}
          id={id!}
          nav={nav}
          rendermime={rendermime}
          trans={trans}
          setTitle={(label, caption) => page.setTitle(label, caption)}
        />
      )),
    dashboard: () =>
      new ReactPage(() => (
        <DashboardPage model={model} nav={nav} trans={trans} />
      ))
  };
}
