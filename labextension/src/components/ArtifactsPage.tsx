/**
 * The Artifacts page: the latest artifact of each key (newest first), and a
 * key's history when it is chosen. Live: new artifacts arrive as events.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React, { useEffect, useMemo, useState } from 'react';

import { formatTime, relativeTime } from '../format';
import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import { IArtifact, INavigator, IOrchModel, IPage } from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  PageLink,
  Section,
  useSignal
} from './common';
import { ArtifactView } from './run/ArtifactView';

/** The newest artifact of each key, in the order given (newest first). */
export function latestByKey(artifacts: IArtifact[]): IArtifact[] {
  const seen = new Set<string>();
  return artifacts.filter(a => {
    if (!a.key || seen.has(a.key)) {
      return false;
    }
    seen.add(a.key);
    return true;
  });
}

interface IArtifactsData {
  latest: IArtifact[];
  history: IArtifact[];
}

export function ArtifactsPage(
  props: {
    model: IOrchModel;
    nav: INavigator;
    rendermime: IRenderMimeRegistry | null;
  } & ITransProps
): JSX.Element {
  const { model, nav, trans } = props;
  const [key, setKey] = useState<string | null>(null);
  const resource = useMemo(
    () =>
      new LiveResource<IArtifactsData>({
        fetch: async () => {
          const [all, history] = await Promise.all([
            model.request<IPage<IArtifact>>('artifacts', {
              query: { limit: 500 }
            }),
            key
              ? model.request<IPage<IArtifact>>('artifacts', {
                  query: { key, limit: 100 }
                })
              : Promise.resolve(null)
          ]);
          return {
            latest: latestByKey(unwrapItems(all)),
            history: unwrapItems(history)
          };
        },
        events: model.events,
        filter: { kind: ['artifact'] },
        debounce: 300,
        interval: 10000,
        name: 'jupyter-orch:artifacts'
      }),
    [model, key]
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const data = resource.data;
  return (
    <div className="jp-Orch-fullPage" data-testid="orch-artifacts-page">
      <header className="jp-Orch-pageHeader">
        <h1>{trans.__('Artifacts')}</h1>
      </header>
      <ErrorMessage error={resource.error} />
      <Section title={trans.__('Latest by key')} testid="orch-artifacts-latest">
        {data?.latest.length ? (
          <table className="jp-Orch-table jp-Orch-wide">
            <thead>
              <tr>
                <th>{trans.__('Key')}</th>
                <th>{trans.__('Type')}</th>
                <th>{trans.__('Updated')}</th>
                <th>{trans.__('Run')}</th>
              </tr>
            </thead>
            <tbody>
              {data.latest.map(a => (
                <tr
                  key={a.id}
                  data-testid="orch-artifact-key"
                  data-key={a.key}
                  className={a.key === key ? 'jp-mod-selected' : ''}
                >
                  <td>
                    <a
                      href="#"
                      className="jp-Orch-link"
                      onClick={e => {
                        e.preventDefault();
                        setKey(a.key ?? null);
                      }}
                    >
                      {a.key}
                    </a>
                  </td>
                  <td>{a.type}</td>
                  <td title={formatTime(a.created)}>
                    {relativeTime(a.created)}
                  </td>
                  <td>
                    {a.flow_run_id ? (
                      <PageLink nav={nav} kind="run" id={a.flow_run_id}>
                        {a.flow_run_id.slice(0, 8)}
                      </PageLink>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>
            {data
              ? trans.__('No artifacts with a key yet.')
              : trans.__('Loading…')}
          </Empty>
        )}
      </Section>
      {key ? (
        <Section
          title={trans.__('History of %1', key)}
          testid="orch-artifact-history"
        >
          {(data?.history ?? []).map(a => (
            <div key={a.id} className="jp-Orch-historyItem">
              <div className="jp-Orch-muted">
                {formatTime(a.created)}
                {a.flow_run_id ? (
                  <>
                    {' · '}
                    <PageLink nav={nav} kind="run" id={a.flow_run_id}>
                      {trans.__('run %1', a.flow_run_id.slice(0, 8))}
                    </PageLink>
                  </>
                ) : null}
              </div>
              <ArtifactView artifact={a} rendermime={props.rendermime} />
            </div>
          ))}
        </Section>
      ) : null}
    </div>
  );
}
