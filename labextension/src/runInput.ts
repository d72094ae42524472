/**
 * What the resume form needs to know about a pause, as pure functions (unit
 * tested without a browser): the key its input is stored under, and which
 * form field a server error names.
 */
import { IField } from './paramForm';
import { OrchAPIError } from './request';
import { IFlowRun } from './tokens';

/** The key a pause stores its input under (`paused` when the flow named none). */
export function pauseKeyOf(run: Pick<IFlowRun, 'state'>): string {
  const data = run.state?.data as { pause_key?: unknown } | null | undefined;
  return typeof data?.pause_key === 'string' && data.pause_key
    ? data.pause_key
    : 'paused';
}

/**
 * The form field a server error names (`run_input.approved` → `approved`)
 * and its message without the location prefix; null for any other error.
 */
export function fieldError(
  error: unknown,
  fields: IField[]
): { name: string; message: string } | null {
  if (!(error instanceof OrchAPIError) || !error.field) {
    return null;
  }
  const name = error.field.replace(/^run_input\./, '').split('.')[0];
  if (!fields.some(f => f.name === name)) {
    return null;
  }
  const message = error.message.replace(/^[^:]*:\s*/, '');
  return { name, message };
}
