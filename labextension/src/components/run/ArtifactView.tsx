/**
 * One artifact: markdown (sanitized through JupyterLab's renderer), a table,
 * or any other value as JSON text.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import React, { useEffect, useRef } from 'react';

import { tableRows } from '../../format';
import { IArtifact } from '../../tokens';

/** Markdown through JupyterLab's renderer, untrusted so it is sanitized. */
function Markdown(props: {
  source: string;
  rendermime: IRenderMimeRegistry | null;
}): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = ref.current;
    if (!host || !props.rendermime) {
      return;
    }
    const renderer = props.rendermime.createRenderer('text/markdown');
    const model = new MimeModel({
      data: { 'text/markdown': props.source },
      trusted: false
    });
    void renderer.renderModel(model).then(() => {
      host.replaceChildren(renderer.node);
    });
    return () => renderer.dispose();
  }, [props.source, props.rendermime]);
  if (!props.rendermime) {
    return <pre className="jp-Orch-pre">{props.source}</pre>;
  }
  return <div ref={ref} className="jp-Orch-markdown" />;
}

function cellText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

export function ArtifactView(props: {
  artifact: IArtifact;
  rendermime: IRenderMimeRegistry | null;
}): JSX.Element {
  const { artifact } = props;
  let body: JSX.Element;
  if (artifact.type === 'markdown') {
    body = (
      <Markdown
        source={String(artifact.data ?? '')}
        rendermime={props.rendermime}
      />
    );
  } else if (artifact.type === 'table') {
    const { columns, rows } = tableRows(artifact.data);
    body = (
      <table className="jp-Orch-table" data-testid="orch-artifact-table">
        {columns.length ? (
          <thead>
            <tr>
              {columns.map(c => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
        ) : null}
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((v, j) => (
                <td key={j}>{cellText(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    );
  } else {
    body = <pre className="jp-Orch-pre">{cellText(artifact.data)}</pre>;
  }
  return (
    <div
      className="jp-Orch-artifact"
      data-testid="orch-artifact"
      data-artifact-type={artifact.type}
    >
      <div className="jp-Orch-artifactTitle">
        {artifact.key ?? artifact.type}
        {artifact.description ? (
          <span className="jp-Orch-muted"> — {artifact.description}</span>
        ) : null}
      </div>
      {body}
    </div>
  );
}
