/**
 * A deployment's schedules as the schedule editor holds them (drafts), and
 * back as the flat `schedules` of `PATCH /deployments/{id}`.
 */
import { IDeploymentSchedule } from './tokens';

export interface IScheduleDraft {
  mode: 'cron' | 'interval';
  cron: string;
  /** Seconds, as typed. */
  interval: string;
  timezone: string;
  active: boolean;
}

/** Drafts from the deployment's schedules (nested under `schedule` on output). */
export function toDrafts(schedules: IDeploymentSchedule[]): IScheduleDraft[] {
  return schedules.map(s => ({
    mode: s.schedule.interval ? 'interval' : 'cron',
    cron: s.schedule.cron ?? '',
    interval: s.schedule.interval ? String(s.schedule.interval) : '',
    timezone: s.schedule.timezone ?? '',
    active: s.active
  }));
}

/** The PATCH body's `schedules` (flat), or the first problem found. */
export function fromDrafts(
  drafts: IScheduleDraft[]
):
  | { schedules: Record<string, unknown>[]; error?: undefined }
  | { error: string } {
  const schedules: Record<string, unknown>[] = [];
  for (const [i, d] of drafts.entries()) {
    const base = { timezone: d.timezone.trim() || undefined, active: d.active };
    if (d.mode === 'cron') {
      if (!d.cron.trim()) {
        return { error: `schedule ${i + 1}: the cron string is empty` };
      }
      schedules.push({ cron: d.cron.trim(), ...base });
    } else {
      const seconds = Number(d.interval);
      if (!(seconds > 0)) {
        return {
          error: `schedule ${i + 1}: the interval must be a positive number of seconds`
        };
      }
      schedules.push({ interval: seconds, ...base });
    }
  }
  return { schedules };
}
