/**
 * The orchestration sidebar: four tabs (Dashboard, Runs, Deployments,
 * Work pools) over one shared, polled model.
 */
import {
  launchIcon,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { INavigator, IOrchModel, PageKind, StateType } from '../tokens';
import { ErrorMessage, ITransProps, useSignal } from './common';
import { Dashboard } from './Dashboard';
import { DeploymentsList } from './DeploymentsList';
import { RunsList } from './RunsList';
import { WorkPoolsList } from './WorkPoolsList';

export type SidebarTab = 'dashboard' | 'runs' | 'deployments' | 'pools';

/** The main-area page that shows each tab in full. */
const FULL_PAGES: Record<SidebarTab, PageKind> = {
  dashboard: 'dashboard',
  runs: 'runs',
  deployments: 'runs',
  pools: 'work-pools'
};

export function Sidebar(
  props: {
    model: IOrchModel;
    nav: INavigator;
    initialTab?: SidebarTab;
  } & ITransProps
): JSX.Element {
  const { model, trans, nav } = props;
  const openRun = (id: string) => nav.open('run', id);
  useSignal(model.changed);
  useSignal(model.errorChanged);
  const [tab, setTab] = useState<SidebarTab>(props.initialTab ?? 'dashboard');
  const tabs: [SidebarTab, string][] = [
    ['dashboard', trans.__('Dashboard')],
    ['runs', trans.__('Runs')],
    ['deployments', trans.__('Deployments')],
    ['pools', trans.__('Work pools')]
  ];
  const showRuns = (states: StateType[]) => {
    model.runFilter = { ...model.runFilter, state_type: states };
    setTab('runs');
  };
  return (
    <div className="jp-Orch-sidebarBody">
      <div className="jp-Orch-header">
        <h2>{trans.__('Orchestration')}</h2>
        <ToolbarButtonComponent
          icon={launchIcon}
          tooltip={trans.__(
            'Open the %1 page',
            tabs.find(t => t[0] === tab)?.[1] ?? ''
          )}
          onClick={() => nav.open(FULL_PAGES[tab])}
          dataset={{ testid: 'orch-open-page' }}
        />
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Refresh')}
          onClick={() => void model.refresh()}
          dataset={{ testid: 'orch-refresh' }}
        />
      </div>
      <ErrorMessage error={model.error} />
      <div className="jp-Orch-tabs" role="tablist">
        {tabs.map(([id, label]) => (
          <button
            key={id}
            role="tab"
            aria-selected={tab === id}
            className={`jp-Orch-tab ${tab === id ? 'jp-mod-active' : ''}`}
            data-testid={`orch-tab-${id}`}
            onClick={() => setTab(id)}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="jp-Orch-tabPanel" role="tabpanel">
        {tab === 'dashboard' ? (
          <Dashboard
            model={model}
            openRun={openRun}
            showRuns={showRuns}
            trans={trans}
          />
        ) : tab === 'runs' ? (
          <RunsList model={model} openRun={openRun} trans={trans} />
        ) : tab === 'deployments' ? (
          <DeploymentsList
            model={model}
            openRun={openRun}
            openDeployment={id => nav.open('deployment', id)}
            trans={trans}
          />
        ) : (
          <WorkPoolsList model={model} trans={trans} />
        )}
      </div>
    </div>
  );
}
