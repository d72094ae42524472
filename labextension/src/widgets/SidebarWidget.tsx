import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { Sidebar } from '../components/Sidebar';
import { orchIcon } from '../icons';
import { INavigator, IOrchModel } from '../tokens';

/** The left-sidebar panel. */
export class SidebarWidget extends ReactWidget {
  constructor(
    private readonly _model: IOrchModel,
    private readonly _nav: INavigator,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = 'jp-orch-sidebar';
    this.addClass('jp-Orch-sidebar');
    this.title.icon = orchIcon;
    this.title.caption = _trans.__('Orchestration');
    this.node.dataset.testid = 'orch-sidebar';
  }

  protected render(): JSX.Element {
    return <Sidebar model={this._model} nav={this._nav} trans={this._trans} />;
  }
}
