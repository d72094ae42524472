/**
 * The run page: header and actions, the resume form of a paused run, state
 * and its history, parameters, task runs (graph, Gantt chart and table),
 * live logs and artifacts. Each part lives in ./run/.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React from 'react';

import { RunModel } from '../runModel';
import { INavigator } from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  Section,
  useAction,
  useSignal
} from './common';
import { ArtifactView } from './run/ArtifactView';
import { LogView } from './run/LogView';
import { ResumeForm } from './run/ResumeForm';
import { confirmCancel, RunFacts, RunHeader } from './run/RunHeader';
import { ParametersTable, StateMessage, StateTimeline } from './run/RunStates';
import { TaskSection } from './run/RunTasks';

// Other pages import these from here.
export { confirmCancel } from './run/RunHeader';

export interface IRunPageProps extends ITransProps {
  model: RunModel;
  rendermime: IRenderMimeRegistry | null;
  /** Opens the output notebook of a run; rejects with the reason it cannot. */
  openOutput: (runId: string, location: string) => Promise<void>;
  nav: INavigator;
}

export function RunPage(props: IRunPageProps): JSX.Element {
  const { model, trans } = props;
  useSignal(model.changed);
  const action = useAction();
  const run = model.run;
  if (!run) {
    return (
      <div className="jp-Orch-runPage" data-testid="orch-run-page">
        <ErrorMessage error={model.error} />
        {model.error ? null : <Empty>{trans.__('Loading run…')}</Empty>}
      </div>
    );
  }
  return (
    <div
      className="jp-Orch-runPage"
      data-testid="orch-run-page"
      data-run-id={run.id}
      data-state-type={run.state_type}
      data-seen-states={model.seen.join(' ')}
    >
      <RunHeader
        run={run}
        nav={props.nav}
        busy={action.busy}
        onCancel={async () => {
          if (await confirmCancel([run], trans)) {
            await action.run(() => model.cancel());
          }
        }}
        onRetry={() => action.run(() => model.retry())}
        onOpenOutput={() =>
          action.run(() => props.openOutput(run.id, run.output_location!))
        }
        trans={trans}
      />
      <ErrorMessage error={action.error ?? model.error} />
      <StateMessage run={run} trans={trans} />
      {run.state_type === 'PAUSED' ? (
        <ResumeForm model={model} run={run} trans={trans} />
      ) : null}
      <RunFacts run={run} nav={props.nav} trans={trans} />
      <div className="jp-Orch-runGrid">
        <Section title={trans.__('State history')} testid="orch-section-states">
          <StateTimeline states={model.states} trans={trans} />
        </Section>
        <Section
          title={trans.__('Parameters')}
          testid="orch-section-parameters"
        >
          <ParametersTable parameters={run.parameters} trans={trans} />
        </Section>
      </div>
      <TaskSection graph={model.graph} nav={props.nav} trans={trans} />
      <Section title={trans.__('Logs')} testid="orch-section-logs">
        <LogView logs={model.logs} trans={trans} />
      </Section>
      <Section title={trans.__('Artifacts')} testid="orch-section-artifacts">
        {model.artifacts.length ? (
          model.artifacts.map(a => (
            <ArtifactView
              key={a.id}
              artifact={a}
              rendermime={props.rendermime}
            />
          ))
        ) : (
          <Empty>
            {trans.__(
              'No artifacts. Create some with create_markdown_artifact() or create_table_artifact().'
            )}
          </Empty>
        )}
      </Section>
    </div>
  );
}
