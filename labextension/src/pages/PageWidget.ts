/**
 * A main-area tab showing one orchestration object (or one list). The
 * page's key (`run:ID`, `deployment:ID`, `runs`) identifies it in the
 * tracker, so opening an object that is already open brings its tab forward
 * instead of adding another one.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { orchIcon } from '../icons';
import { PageKind } from '../tokens';
import { pageKey } from './keys';

/** A DOM id that is safe whatever the object id holds. */
function domId(key: string): string {
  return `jp-orch-page-${key.replace(/[^\w-]/g, '_')}`;
}

export class PageWidget<T extends Widget = Widget> extends MainAreaWidget<T> {
  constructor(options: {
    kind: PageKind;
    id?: string;
    content: T;
    label: string;
  }) {
    super({ content: options.content });
    this.kind = options.kind;
    this.objectId = options.id;
    this.key = pageKey(options.kind, options.id);
    this.id = domId(this.key);
    this.addClass('jp-Orch-page');
    this.node.dataset.orchPage = this.key;
    this.title.icon = orchIcon;
    this.title.closable = true;
    this.title.label = options.label;
    this.title.caption = options.label;
    // The content names itself once it has loaded (a run's flow/name, a deployment's full name).
    const content = options.content;
    const follow = () => {
      if (content.title.label) {
        this.title.label = content.title.label;
      }
      if (content.title.caption) {
        this.title.caption = content.title.caption;
      }
    };
    content.title.changed.connect(follow);
    follow();
  }

  readonly kind: PageKind;
  readonly objectId: string | undefined;
  readonly key: string;
}

/** A ReactWidget rendering `render()`; the page title is set through `setTitle`. */
export class ReactPage extends ReactWidget {
  constructor(private readonly _render: (page: ReactPage) => JSX.Element) {
    super();
    this.addClass('jp-Orch-pagePanel');
  }

  /** Name the tab (label) and its tooltip (caption). */
  setTitle(label: string, caption?: string): void {
    if (this.title.label !== label) {
      this.title.label = label;
    }
    if (caption !== undefined && this.title.caption !== caption) {
      this.title.caption = caption;
    }
  }

  protected render(): JSX.Element {
    return this._render(this);
  }
}
