/**
 * What each kind of page shows: the factories the page registry calls with
 * an object id to make a tab's content.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import React from 'react';

import { ArtifactsPage } from '../components/ArtifactsPage';
import { ConfigurationPage } from '../components/ConfigurationPage';
import { ConcurrencyPage } from '../components/ConcurrencyPage';
import { DashboardPage } from '../components/DashboardPage';
import { DeploymentPage } from '../components/DeploymentPage';
import { FlowPage } from '../components/FlowPage';
import { NotificationsPage } from '../components/NotificationsPage';
import { RunsPage } from '../components/RunsPage';
import { TaskRunPage } from '../components/TaskRunPage';
import { WorkPoolsPage } from '../components/WorkPoolsPage';
import { INavigator, IOrchModel, PageKind } from '../tokens';
import { RunPanel } from '../widgets/RunWidget';
import { PageFactory } from './registry';
import { PageWidget, ReactPage } from './PageWidget';

export interface IPageDeps {
  model: IOrchModel;
  trans: TranslationBundle;
  rendermime: IRenderMimeRegistry | null;
  openOutput: (runId: string, location: string) => Promise<void>;
  /** Open a file of the server root (the notebook a deployment runs). */
  openPath: (path: string) => void;
  nav: INavigator;
}

/** Close the tab holding `widget`. */
function closePage(widget: Widget): void {
  let w: Widget | null = widget;
  while (w && !(w instanceof PageWidget)) {
    w = w.parent;
  }
  w?.close();
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
    deployment: id =>
      new ReactPage(page => (
        <DeploymentPage
          model={model}
          id={id!}
          nav={nav}
          trans={trans}
          setTitle={(label, caption) => page.setTitle(label, caption)}
          openPath={deps.openPath}
          close={() => closePage(page)}
        />
      )),
    flow: id =>
      new ReactPage(page => (
        <FlowPage
          model={model}
          id={id!}
          nav={nav}
          trans={trans}
          setTitle={(label, caption) => page.setTitle(label, caption)}
        />
      )),
    configuration: () =>
      new ReactPage(() => <ConfigurationPage model={model} trans={trans} />),
    concurrency: () =>
      new ReactPage(() => <ConcurrencyPage model={model} trans={trans} />),
    notifications: () =>
      new ReactPage(() => <NotificationsPage model={model} trans={trans} />),
    artifacts: () =>
      new ReactPage(() => (
        <ArtifactsPage
          model={model}
          nav={nav}
          rendermime={rendermime}
          trans={trans}
        />
      )),
    'work-pools': () =>
      new ReactPage(() => <WorkPoolsPage model={model} trans={trans} />),
    runs: () =>
      new ReactPage(() => <RunsPage model={model} nav={nav} trans={trans} />),
    dashboard: () =>
      new ReactPage(() => (
        <DashboardPage model={model} nav={nav} trans={trans} />
      ))
  };
}
