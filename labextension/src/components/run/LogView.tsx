/**
 * A run's log lines, following the end while "Follow" is on.
 */
import React, { useEffect, useRef, useState } from 'react';

import { ILogRecord } from '../../tokens';
import { ITransProps } from '../common';

const LEVELS: Record<number, string> = {
  10: 'DEBUG',
  20: 'INFO',
  30: 'WARNING',
  40: 'ERROR',
  50: 'CRITICAL'
};

export function levelName(log: ILogRecord): string {
  return LEVELS[log.level] ?? String(log.level);
}

/** Logs that stay scrolled to the end while "Follow" is on. */
export function LogView(
  props: { logs: ILogRecord[] } & ITransProps
): JSX.Element {
  const [follow, setFollow] = useState(true);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (follow && ref.current) {
      ref.current.scrollTop = ref.current.scrollHeight;
    }
  }, [props.logs.length, follow]);
  return (
    <div>
      <label className="jp-Orch-follow">
        <input
          type="checkbox"
          checked={follow}
          onChange={e => setFollow(e.currentTarget.checked)}
        />{' '}
        {props.trans.__('Follow')}
      </label>
      <div className="jp-Orch-logs" ref={ref} data-testid="orch-logs">
        {props.logs.length === 0 ? (
          <div className="jp-Orch-muted">{props.trans.__('No logs yet.')}</div>
        ) : (
          props.logs.map(log => (
            <div
              key={log.id}
              className={`jp-Orch-logLine jp-Orch-log-${levelName(log).toLowerCase()}`}
              data-testid="orch-log-line"
            >
              <span className="jp-Orch-muted">
                {new Date(log.timestamp).toLocaleTimeString()}
              </span>{' '}
              <span className="jp-Orch-logLevel">{levelName(log)}</span>{' '}
              <span className="jp-Orch-logMessage">{log.message}</span>
            </div>
          ))
        )}
      </div>
    </div>
  );
}
