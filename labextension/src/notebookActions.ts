/**
 * What the extension does with notebooks: open a run's output notebook
 * read-only, and the "Schedule this notebook…" dialog.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { ScheduleForm } from './components/ScheduleForm';
import { toServerPath } from './format';
import { outputPath } from './outputDrive';
import { errorMessage } from './request';
import {
  buildDeployment,
  createFormState,
  IScheduleFormState
} from './schedule';
import { IOrchModel } from './tokens';

/**
 * Open the output notebook of run `runId` read-only, without starting a
 * kernel: straight from the server root when it lies there (and is not
 * hidden), otherwise through the read-only OrchOutputs drive.
 */
export async function openOutputNotebook(
  docManager: IDocumentManager,
  runId: string,
  location: string
): Promise<void> {
  const local = toServerPath(location, PageConfig.getOption('serverRoot'));
  let path = outputPath(runId);
  if (local !== null && !local.split('/').some(part => part.startsWith('.'))) {
    try {
      await docManager.services.contents.get(local, { content: false });
      path = local;
    } catch {
      // Not visible through the Contents API: use the drive.
    }
  }
  if (path !== local) {
    // Fail here with the server's message rather than with an empty tab.
    await docManager.services.contents.get(path, { content: false });
  }
  const widget = docManager.openOrReveal(path, undefined, undefined, {
    mode: 'split-right'
  });
  if (!widget) {
    throw new Error(`JupyterLab has no viewer for ${path}.`);
  }
  const session = (widget as any).sessionContext;
  if (session && 'kernelPreference' in session) {
    session.kernelPreference = {
      ...session.kernelPreference,
      shouldStart: false,
      autoStartDefault: false
    };
  }
  await widget.context.ready;
  widget.context.model.readOnly = true;
  widget.addClass('jp-Orch-readOnly');
  widget.title.caption = `${location} (read-only output of run ${runId})`;
  if (widget instanceof NotebookPanel) {
    for (const cell of widget.content.widgets) {
      cell.readOnly = true;
    }
  }
}

/**
 * Show the schedule dialog until the deployment is created or the user
 * cancels; validation and server errors keep the dialog open with the
 * message next to the form.
 */
export async function scheduleNotebook(
  path: string,
  model: IOrchModel,
  trans: TranslationBundle,
  onCreated: () => void
): Promise<void> {
  const state: IScheduleFormState = createFormState(path);
  for (;;) {
    const body = ReactWidget.create(
      React.createElement(ScheduleForm, { state, model, trans })
    );
    body.addClass('jp-Orch-scheduleDialogBody');
    const result = await showDialog({
      title: trans.__('Schedule this notebook'),
      body,
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Create deployment') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    state.submitError = null;
    const request = buildDeployment(state);
    if (!request) {
      state.submitError = trans.__('Please correct the highlighted fields.');
      continue;
    }
    try {
      const deployment = await model.createDeployment(request);
      Notification.success(
        trans.__(
          'Deployment %1 created',
          deployment.full_name ?? `${deployment.flow_name}/${deployment.name}`
        ),
        {
          autoClose: 5000,
          actions: [{ label: trans.__('Show'), callback: onCreated }]
        }
      );
      return;
    } catch (error) {
      state.submitError = errorMessage(error);
    }
  }
}
