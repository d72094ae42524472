/**
 * State and validation of the "Schedule this notebook…" dialog, kept free of
 * React so it can be unit-tested.
 */
import { FormValues, IField, valuesToParameters } from './paramForm';
import { IDeploymentCreate, IJSONSchema, ISchedule } from './tokens';

export type ScheduleMode = 'cron' | 'interval' | 'none';

const UNIT_SECONDS: Record<string, number> = { min: 60, h: 3600, d: 86400 };

/** Everything the dialog edits; kept outside the widget so it survives re-opening. */
export interface IScheduleFormState {
  path: string;
  name: string;
  mode: ScheduleMode;
  cron: string;
  interval: string;
  unit: 'min' | 'h' | 'd';
  timezone: string;
  workPool: string;
  values: FormValues;
  fields: IField[];
  schema: IJSONSchema | null;
  schemaError: string | null;
  errors: Record<string, string>;
  submitError: string | null;
}

export function notebookStem(path: string): string {
  const file = path.split('/').pop() ?? path;
  return file.replace(/\.ipynb$/i, '');
}

export function defaultTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function createFormState(path: string): IScheduleFormState {
  return {
    path,
    name: notebookStem(path),
    mode: 'cron',
    cron: '0 9 * * *',
    interval: '1',
    unit: 'h',
    timezone: defaultTimezone(),
    workPool: '',
    values: {},
    fields: [],
    schema: null,
    schemaError: null,
    errors: {},
    submitError: null
  };
}

/** The schedule part of the request, or null for "no schedule". */
export function scheduleOf(state: IScheduleFormState): ISchedule | null {
  if (state.mode === 'cron') {
    return { cron: state.cron.trim(), timezone: state.timezone || null };
  }
  if (state.mode === 'interval') {
    const n = Number(state.interval);
    return {
      interval: n * UNIT_SECONDS[state.unit],
      timezone: state.timezone || null
    };
  }
  return null;
}

/**
 * Validate the form and build the POST /deployments body. Errors are
 * written into `state.errors` (field name → reason) and null is returned.
 */
export function buildDeployment(
  state: IScheduleFormState
): IDeploymentCreate | null {
  const errors: Record<string, string> = {};
  if (!/^[\w.-][\w .-]*$/.test(state.name.trim())) {
    errors.name = 'must be letters, digits, spaces, "-", "_" or "."';
  }
  if (state.mode === 'cron' && state.cron.trim().split(/\s+/).length < 5) {
    errors.cron = 'needs 5 fields: minute hour day month weekday';
  }
  if (state.mode === 'interval' && !(Number(state.interval) > 0)) {
    errors.interval = 'must be a positive number';
  }
  const { parameters, errors: paramErrors } = valuesToParameters(
    state.fields,
    state.values
  );
  Object.assign(errors, paramErrors);
  state.errors = errors;
  if (Object.keys(errors).length) {
    return null;
  }
  const schedule = scheduleOf(state);
  const body: IDeploymentCreate = {
    name: state.name.trim(),
    flow_name: notebookStem(state.path),
    kind: 'notebook',
    path: state.path,
    parameters,
    schedules: schedule ? [{ ...schedule, active: true }] : []
  };
  if (state.workPool) {
    body.work_pool_name = state.workPool;
  }
  return body;
}
