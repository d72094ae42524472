import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { RunPage } from '../components/RunPage';
import { orchIcon } from '../icons';
import { RunModel } from '../model';
import { IOrchModel } from '../tokens';

export interface IRunWidgetOptions {
  model: IOrchModel;
  runId: string;
  trans: TranslationBundle;
  rendermime: IRenderMimeRegistry | null;
  openOutput: (runId: string, location: string) => Promise<void>;
  openRun: (id: string) => void;
}

/** The React content of a run page; owns the polling RunModel. */
class RunPanel extends ReactWidget {
  constructor(readonly options: IRunWidgetOptions) {
    super();
    this.runModel = new RunModel({
      model: options.model,
      runId: options.runId
    });
    this.addClass('jp-Orch-runPanel');
  }

  readonly runModel: RunModel;

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
        openRun={o.openRun}
      />
    );
  }
}

/** A run page in the main area, titled after the run and its state. */
export class RunWidget extends MainAreaWidget<RunPanel> {
  constructor(options: IRunWidgetOptions) {
    const content = new RunPanel(options);
    super({ content });
    this.runId = options.runId;
    this.id = `jp-orch-run-${options.runId}`;
    this.title.icon = orchIcon;
    this.title.label = options.trans.__('Run %1', options.runId.slice(0, 8));
    this.title.closable = true;
    content.runModel.changed.connect(() => {
      const run = content.runModel.run;
      if (run) {
        this.title.label = `${run.flow_name}/${run.name}`;
        this.title.caption = `${run.flow_name}/${run.name} — ${run.state_name}`;
      }
    });
  }

  readonly runId: string;
}
