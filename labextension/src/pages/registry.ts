/**
 * The main-area pages: one tracker over every page (keyed by kind and object
 * id, so an open page is brought forward rather than opened twice), the
 * commands that open them, their palette entries and launcher cards, and
 * layout restoration.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { orchIcon } from '../icons';
import { CommandIDs, INavigator, PageKind } from '../tokens';
import { parsePageKey } from './keys';
import { PageWidget } from './PageWidget';

/** Makes the content of a page; `id` is the object's id for object pages. */
export type PageFactory = (id: string | undefined) => Widget;

interface IPageCommand {
  command: string;
  kind: PageKind;
  /** Label in menus and the palette. */
  label: string;
  /** Object pages need an id; list pages do not. */
  needsId: boolean;
  /** Listed in the palette and the launcher. */
  listed: boolean;
}

export interface IPageRegistryOptions {
  app: JupyterFrontEnd;
  trans: TranslationBundle;
  factories: Partial<Record<PageKind, PageFactory>>;
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
  restorer: ILayoutRestorer | null;
}

/** Default tab labels until the content names itself. */
function defaultLabel(
  kind: PageKind,
  id: string | undefined,
  trans: TranslationBundle
): string {
  const short = id ? id.slice(0, 8) : '';
  switch (kind) {
    case 'dashboard':
      return trans.__('Orchestration Dashboard');
    case 'runs':
      return trans.__('Flow Runs');
    case 'run':
      return trans.__('Run %1', short);
    case 'task-run':
      return trans.__('Task run %1', short);
    case 'deployment':
      return trans.__('Deployment %1', short);
    case 'flow':
      return trans.__('Flow %1', short);
    case 'work-pools':
      return trans.__('Work Pools');
    case 'concurrency':
      return trans.__('Concurrency Limits');
    case 'notifications':
      return trans.__('Notifications');
    case 'artifacts':
      return trans.__('Artifacts');
    case 'configuration':
      return trans.__('Configuration');
  }
}

/**
 * Register the page commands and return the navigator views use to open
 * pages. Kinds without a factory get no command.
 */
export function registerPages(options: IPageRegistryOptions): INavigator {
  const { app, trans, factories } = options;
  const { commands, shell } = app;
  const tracker = new WidgetTracker<PageWidget>({
    namespace: 'jupyter-orch-page'
  });

  const open = async (
    kind: PageKind,
    id?: string
  ): Promise<PageWidget | undefined> => {
    const factory = factories[kind];
    if (!factory) {
      return undefined;
    }
    const key = id ? `${kind}:${id}` : kind;
    const existing = tracker.find(w => w.key === key);
    if (existing) {
      shell.activateById(existing.id);
      return existing;
    }
    const page = new PageWidget({
      kind,
      id,
      content: factory(id),
      label: defaultLabel(kind, id, trans)
    });
    await tracker.add(page);
    shell.add(page, 'main', { mode: 'tab-after' });
    shell.activateById(page.id);
    return page;
  };

  const nav: INavigator = { open: (kind, id) => void open(kind, id) };

  commands.addCommand(CommandIDs.openPage, {
    label: args =>
      defaultLabel(args.kind as PageKind, args.id as string | undefined, trans),
    execute: args =>
      open(args.kind as PageKind, (args.id as string) || undefined)
  });

  const table: IPageCommand[] = [
    {
      command: CommandIDs.openDashboard,
      kind: 'dashboard',
      label: trans.__('Orchestration Dashboard'),
      needsId: false,
      listed: true
    },
    {
      command: CommandIDs.openRuns,
      kind: 'runs',
      label: trans.__('Flow Runs'),
      needsId: false,
      listed: true
    },
    {
      command: CommandIDs.openWorkPools,
      kind: 'work-pools',
      label: trans.__('Work Pools'),
      needsId: false,
      listed: true
    },
    {
      command: CommandIDs.openConcurrency,
      kind: 'concurrency',
      label: trans.__('Concurrency Limits'),
      needsId: false,
      listed: true
    },
    {
      command: CommandIDs.openNotifications,
      kind: 'notifications',
      label: trans.__('Notification Rules'),
      needsId: false,
      listed: true
    },
    {
      command: CommandIDs.openArtifacts,
      kind: 'artifacts',
      label: trans.__('Artifacts'),
      needsId: false,
      listed: true
    },
    {
      command: CommandIDs.openConfiguration,
      kind: 'configuration',
      label: trans.__('Variables, Secrets and Storage'),
      needsId: false,
      listed: true
    },
    {
      command: CommandIDs.openTaskRun,
      kind: 'task-run',
      label: trans.__('Open Task Run'),
      needsId: true,
      listed: false
    },
    {
      command: CommandIDs.openDeployment,
      kind: 'deployment',
      label: trans.__('Open Deployment'),
      needsId: true,
      listed: false
    },
    {
      command: CommandIDs.openFlow,
      kind: 'flow',
      label: trans.__('Open Flow'),
      needsId: true,
      listed: false
    }
  ];
  const category = trans.__('Orchestration');
  let rank = 0;
  for (const entry of table) {
    if (!factories[entry.kind]) {
      continue;
    }
    commands.addCommand(entry.command, {
      label: entry.label,
      caption: entry.label,
      icon: args => (args.isLauncher || args.toolbar ? orchIcon : undefined),
      execute: args => {
        const id = (args.id as string) || undefined;
        if (entry.needsId && !id) {
          return;
        }
        return open(entry.kind, id);
      }
    });
    if (entry.listed) {
      options.palette?.addItem({ command: entry.command, category });
      options.launcher?.add({ command: entry.command, category, rank: rank++ });
    }
  }

  if (options.restorer) {
    void options.restorer.restore(tracker, {
      command: CommandIDs.openPage,
      args: widget => ({ ...parsePageKey(widget.key) }),
      name: widget => widget.key
    });
  }
  return nav;
}
