/**
 * Dashboard: runs by state over the last 24 h as stacked bars, with late and
 * failed runs called out as links to their run pages.
 */
import React from 'react';

import { relativeTime, stateColor } from '../format';
import {
  IFlowRun,
  IOrchModel,
  IRunCounts,
  STATE_TYPES,
  StateType
} from '../tokens';
import { Empty, ITransProps, StateBadge } from './common';

const CHART_W = 240;
const CHART_H = 80;

/** Stacked bars, one per bucket; pure SVG so it follows the theme colours. */
export function RunsChart(
  props: {
    counts: IRunCounts;
    /** Where the time axis starts, in words (default "24 h ago"). */
    startLabel?: string;
  } & ITransProps
): JSX.Element {
  const { buckets } = props.counts;
  const startLabel = props.startLabel ?? props.trans.__('24 h ago');
  const totals = buckets.map(b =>
    Object.values(b.counts).reduce((sum: number, n) => sum + (n ?? 0), 0)
  );
  const max = Math.max(1, ...totals);
  const width = CHART_W / Math.max(1, buckets.length);
  return (
    <svg
      className="jp-Orch-chart"
      data-testid="orch-dashboard-chart"
      viewBox={`0 0 ${CHART_W} ${CHART_H + 12}`}
      role="img"
      aria-label={props.trans.__('Runs by state since %1', startLabel)}
    >
      <line
        x1={0}
        x2={CHART_W}
        y1={CHART_H}
        y2={CHART_H}
        className="jp-Orch-axis"
      />
      {buckets.map((bucket, i) => {
        let y = CHART_H;
        return (
          <g key={bucket.start}>
            <title>
              {`${new Date(bucket.start).toLocaleTimeString()}: ${totals[i]}`}
            </title>
            {STATE_TYPES.filter(t => bucket.counts[t]).map(t => {
              const h = ((bucket.counts[t] ?? 0) / max) * (CHART_H - 4);
              y -= h;
              return (
                <rect
                  key={t}
                  x={i * width + 0.5}
                  y={y}
                  width={Math.max(1, width - 1)}
                  height={h}
                  style={{ fill: stateColor(t) }}
                  data-state-type={t}
                />
              );
            })}
          </g>
        );
      })}
      <text x={0} y={CHART_H + 10} className="jp-Orch-chartLabel">
        {startLabel}
      </text>
      <text
        x={CHART_W}
        y={CHART_H + 10}
        textAnchor="end"
        className="jp-Orch-chartLabel"
      >
        {props.trans.__('now')}
      </text>
    </svg>
  );
}

function RunLinks(props: {
  runs: IFlowRun[];
  openRun: (id: string) => void;
  testid: string;
}): JSX.Element {
  return (
    <ul className="jp-Orch-linkList" data-testid={props.testid}>
      {props.runs.map(run => (
        <li key={run.id}>
          <StateBadge type={run.state_type} name={run.state_name} />{' '}
          <a
            href="#"
            className="jp-Orch-link"
            onClick={e => {
              e.preventDefault();
              props.openRun(run.id);
            }}
          >
            {run.flow_name}/{run.name}
          </a>{' '}
          <span className="jp-Orch-muted">
            {relativeTime(run.end_time ?? run.expected_start_time)}
          </span>
          {run.state_message ? (
            <div
              className="jp-Orch-muted jp-Orch-ellipsis"
              title={run.state_message}
            >
              {run.state_message}
            </div>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

export function Dashboard(
  props: {
    model: IOrchModel;
    openRun: (id: string) => void;
    showRuns: (states: StateType[]) => void;
  } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const counts = model.counts;
  const byState = counts?.by_state ?? {};
  const total = Object.values(byState).reduce(
    (s: number, n) => s + (n ?? 0),
    0
  );
  return (
    <div className="jp-Orch-dashboard" data-testid="orch-dashboard">
      {counts && total > 0 ? (
        <>
          <RunsChart counts={counts} trans={trans} />
          <div className="jp-Orch-legend">
            {STATE_TYPES.filter(t => byState[t]).map(t => (
              <button
                key={t}
                className="jp-Orch-legendItem"
                title={trans.__('Show these runs')}
                onClick={() => props.showRuns([t])}
                data-testid={`orch-count-${t}`}
              >
                <span
                  className="jp-Orch-swatch"
                  style={{ background: stateColor(t) }}
                />
                {t.toLowerCase()} {byState[t]}
              </button>
            ))}
          </div>
        </>
      ) : (
        <Empty testid="orch-dashboard-empty">
          {model.loaded
            ? trans.__(
                'No runs in the last 24 hours. Run a deployment from the Deployments tab, or open a notebook and use “Schedule this notebook…”.'
              )
            : trans.__('Loading…')}
        </Empty>
      )}
      <div
        className={`jp-Orch-callout ${counts?.failed ? 'jp-mod-failed' : ''}`}
        data-testid="orch-dashboard-failed"
      >
        <strong>{trans.__('Failed (24 h): %1', counts?.failed ?? 0)}</strong>
        {model.failedRuns.length ? (
          <RunLinks
            runs={model.failedRuns}
            openRun={props.openRun}
            testid="orch-failed-runs"
          />
        ) : null}
      </div>
      <div
        className={`jp-Orch-callout ${counts?.late ? 'jp-mod-late' : ''}`}
        data-testid="orch-dashboard-late"
      >
        <strong>{trans.__('Late: %1', counts?.late ?? 0)}</strong>
        {model.lateRuns.length ? (
          <RunLinks
            runs={model.lateRuns}
            openRun={props.openRun}
            testid="orch-late-runs"
          />
        ) : null}
      </div>
    </div>
  );
}
