import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { RunPage } from '../components/RunPage';
import { RunModel } from '../runModel';
import { INavigator, IOrchModel } from '../tokens';

export interface IRunWidgetOptions {
  model: IOrchModel;
  runId: string;
  trans: TranslationBundle;
  rendermime: IRenderMimeRegistry | null;
  openOutput: (runId: string, location: string) => Promise<void>;
  nav: INavigator;
}

/**
 * The content of a run page: owns the live RunModel and names the tab after
 * the run (`flow/run-name`), its tooltip after the run and its state.
 */
export class RunPanel extends ReactWidget {
  constructor(readonly options: IRunWidgetOptions) {
    super();
    this.runModel = new RunModel({
      model: options.model,
      runId: options.runId
    });
    this.addClass('jp-Orch-runPanel');
    this.title.label = options.trans.__('Run %1', options.runId.slice(0, 8));
    this.runModel.changed.connect(() => {
      const run = this.runModel.run;
      if (run) {
        this.title.label = `${run.flow_name}/${run.name}`;
        this.title.caption = `${run.flow_name}/${run.name} — ${run.state_name}`;
      }
    });
  }

  readonly runModel: RunModel;

  get runId(): string {
    return this.options.runId;
  }

  dispose(): void {
    this.runModel.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    const o = this.options;
    return (
      <RunPage
        model={this.runModel}
        trans={o.trans}
        rendermime={o.rendermime}
        openOutput={o.openOutput}
        nav={o.nav}
      />
    );
  }
}
