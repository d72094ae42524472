/**
 * jupyter-orch JupyterLab extension: the orchestration sidebar, run pages,
 * "Schedule this notebook…" and server notifications.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { orchIcon } from './icons';
import { OutputDrive } from './outputDrive';
import { DEFAULT_REFRESH_INTERVAL, OrchModel } from './model';
import { notificationText, notificationType } from './notifications';
import { errorMessage } from './request';
import { CommandIDs, INotificationMessage, IOrchModel } from './tokens';
import { EventStream } from './events';
import { openOutputNotebook, scheduleNotebook } from './notebookActions';
import { createPageFactories } from './pages/factories';
import { registerPages } from './pages/registry';
import { SidebarWidget } from './widgets/SidebarWidget';

export * from './tokens';

const PLUGIN_ID = 'jupyter-orch:plugin';

const plugin: JupyterFrontEndPlugin<IOrchModel> = {
  id: PLUGIN_ID,
  description: 'Orchestration sidebar, run pages and notebook scheduling.',
  autoStart: true,
  provides: IOrchModel,
  optional: [
    ISettingRegistry,
    ITranslator,
    ICommandPalette,
    ILayoutRestorer,
    IRenderMimeRegistry,
    IDocumentManager,
    INotebookTracker,
    IDefaultFileBrowser,
    ILauncher
  ],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    rendermime: IRenderMimeRegistry | null,
    docManager: IDocumentManager | null,
    notebooks: INotebookTracker | null,
    fileBrowser: IDefaultFileBrowser | null,
    launcher: ILauncher | null
  ): IOrchModel => {
    const trans = (translator ?? nullTranslator).load('jupyter_orch');
    const events = new EventStream({
      settings: app.serviceManager.serverSettings
    });
    const model = new OrchModel({
      refreshInterval: DEFAULT_REFRESH_INTERVAL,
      events
    });
    const { commands, shell } = app;
    app.serviceManager.contents.addDrive(
      new OutputDrive(app.serviceManager.serverSettings)
    );

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () => {
            const seconds = settings.get('refreshInterval').composite as number;
            model.refreshInterval = Math.max(1, seconds) * 1000;
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason =>
          console.error('jupyter-orch: cannot load settings', reason)
        );
    }

    const openOutput = async (runId: string, location: string) => {
      if (!docManager) {
        throw new Error(trans.__('The document manager is not available.'));
      }
      await openOutputNotebook(docManager, runId, location);
    };
    const nav = registerPages({
      app,
      trans,
      palette,
      launcher,
      restorer,
      factories: createPageFactories({
        openPath: path => {
          docManager?.openOrReveal(path);
        },
        model,
        trans,
        rendermime,
        openOutput,
        nav: { open: (kind, id) => nav.open(kind, id) }
      })
    });

    const sidebar = new SidebarWidget(model, nav, trans);
    shell.add(sidebar, 'left', { rank: 400 });
    restorer?.add(sidebar, 'jupyter-orch-sidebar');

    commands.addCommand(CommandIDs.openSidebar, {
      label: trans.__('Show Orchestration Sidebar'),
      caption: trans.__('Runs, deployments and work pools'),
      icon: orchIcon,
      execute: () => shell.activateById(sidebar.id)
    });

    commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Orchestration Data'),
      execute: () => model.refresh()
    });

    commands.addCommand(CommandIDs.openRun, {
      label: args =>
        args.id
          ? trans.__('Open Run %1', String(args.id))
          : trans.__('Open Run…'),
      execute: async args => {
        let id = args.id as string | undefined;
        if (!id) {
          const answer = await showDialog({
            title: trans.__('Open run'),
            body: new RunIdBody(trans),
            buttons: [
              Dialog.cancelButton(),
              Dialog.okButton({ label: trans.__('Open') })
            ]
          });
          id = answer.button.accept ? (answer.value ?? '').trim() : '';
          if (!id) {
            return;
          }
        }
        return commands.execute(CommandIDs.openPage, { kind: 'run', id });
      }
    });

    const showDeployments = () => shell.activateById(sidebar.id);

    commands.addCommand(CommandIDs.scheduleNotebook, {
      label: trans.__('Schedule this notebook…'),
      caption: trans.__(
        'Create a deployment that runs this notebook on a schedule'
      ),
      icon: args => (args.toolbar ? orchIcon : undefined),
      isEnabled: () => !!notebooks?.currentWidget,
      execute: async () => {
        const panel = notebooks?.currentWidget;
        if (!panel) {
          return;
        }
        if (panel.context.model.dirty) {
          await panel.context.save();
        }
        const path =
          docManager?.services.contents.localPath(panel.context.path) ??
          panel.context.path;
        await scheduleNotebook(path, model, trans, showDeployments);
      }
    });

    commands.addCommand(CommandIDs.scheduleFile, {
      label: trans.__('Schedule this notebook…'),
      icon: orchIcon,
      isVisible: () => {
        const item = fileBrowser?.selectedItems().next();
        return !!item && !item.done && item.value.type === 'notebook';
      },
      execute: async () => {
        const item = fileBrowser?.selectedItems().next();
        if (!item || item.done) {
          return;
        }
        const path =
          docManager?.services.contents.localPath(item.value.path) ??
          item.value.path;
        await scheduleNotebook(path, model, trans, showDeployments);
      }
    });

    commands.addCommand(CommandIDs.openDocs, {
      label: trans.__('Open Orchestration REST API Docs'),
      execute: () => {
        window.open(
          URLExt.join(PageConfig.getBaseUrl(), 'orch/docs'),
          '_blank'
        );
      }
    });

    if (palette) {
      const category = trans.__('Orchestration');
      for (const command of [
        CommandIDs.openSidebar,
        CommandIDs.refresh,
        CommandIDs.openRun,
        CommandIDs.scheduleNotebook,
        CommandIDs.openDocs
      ]) {
        palette.addItem({ command, category });
      }
    }

    // Notebook toolbar and file-browser context menu entries are declared in
    // schema/plugin.json ("jupyter.lab.toolbars" / "jupyter.lab.menus").
    return model;
  }
};

/** Text input for "Open Run…" from the command palette. */
class RunIdBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor(trans: TranslationBundle) {
    const input = document.createElement('input');
    input.className = 'jp-mod-styled';
    input.placeholder = trans.__('flow run id');
    super({ node: input });
  }
  getValue(): string {
    return (this.node as HTMLInputElement).value;
  }
}

const notifications: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:notifications',
  description:
    'Shows messages of the "ui" notification channel as JupyterLab notifications.',
  autoStart: true,
  requires: [IOrchModel],
  optional: [ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: IOrchModel,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_orch');
    let enabled = true;
    settingRegistry
      ?.load(PLUGIN_ID)
      .then(settings => {
        const apply = () => {
          enabled = settings.get('showNotifications').composite !== false;
        };
        apply();
        settings.changed.connect(apply);
      })
      .catch(() => undefined);
    // Only messages created after the page loaded; older ones were seen before.
    let after = new Date().toISOString();
    let warned = false;
    const poll = new Poll({
      name: 'jupyter-orch:notifications',
      frequency: { interval: 10000, backoff: true, max: 120000 },
      standby: 'when-hidden',
      factory: async () => {
        if (!enabled) {
          return;
        }
        let messages: INotificationMessage[];
        try {
          messages = await model.notificationsAfter(after);
        } catch (error) {
          if (!warned) {
            warned = true;
            console.warn(
              'jupyter-orch: cannot fetch notifications:',
              errorMessage(error)
            );
          }
          throw error;
        }
        warned = false;
        for (const message of messages) {
          const runId = message.flow_run_id;
          Notification.emit(
            notificationText(message),
            notificationType(message),
            {
              autoClose: notificationType(message) === 'error' ? false : 8000,
              actions: runId
                ? [
                    {
                      label: trans.__('Open run'),
                      callback: () =>
                        void app.commands.execute(CommandIDs.openRun, {
                          id: runId
                        })
                    }
                  ]
                : []
            }
          );
          if (Date.parse(message.created) >= Date.parse(after)) {
            after = message.created;
          }
        }
      }
    });
    void poll;
  }
};

export default [plugin, notifications];
