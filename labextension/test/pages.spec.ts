import { describe, expect, it } from 'vitest';

import { pageKey, parsePageKey } from '../src/pages/keys';
import { fromDrafts, toDrafts } from '../src/scheduleDrafts';
import {
  EMPTY_FILTER,
  historyQuery,
  localToISO,
  upcomingQuery
} from '../src/runQuery';

describe('page keys', () => {
  it('round-trip kind and id, ids may hold colons', () => {
    expect(pageKey('runs')).toBe('runs');
    expect(pageKey('run', 'abc')).toBe('run:abc');
    expect(parsePageKey('deployment:a:b')).toEqual({
      kind: 'deployment',
      id: 'a:b'
    });
    expect(parsePageKey('dashboard')).toEqual({ kind: 'dashboard' });
  });
});

describe('run queries', () => {
  const now = new Date('2026-01-02T00:00:00Z');
  it('keeps upcoming runs out of the history unless Scheduled is chosen', () => {
    const q = historyQuery(EMPTY_FILTER);
    expect(q.state_type).not.toContain('SCHEDULED');
    expect(
      historyQuery({ ...EMPTY_FILTER, states: ['SCHEDULED', 'FAILED'] })
        .state_type
    ).toEqual(['SCHEDULED', 'FAILED']);
  });
  it('sends the name search, tags and range; drops empty values', () => {
    const q = historyQuery({
      ...EMPTY_FILTER,
      name: '  etl ',
      tags: ['a', 'b'],
      from: '2026-01-01T10:00'
    });
    expect(q.name_like).toBe('etl');
    expect(q.tags).toEqual(['a', 'b']);
    expect(q.start_after).toBe(localToISO('2026-01-01T10:00'));
    expect(q.start_before).toBeUndefined();
    expect(q.flow_name).toBeUndefined();
  });
  it('asks for upcoming runs soonest first, from now or the range start', () => {
    const q = upcomingQuery(EMPTY_FILTER, now)!;
    expect(q).toMatchObject({
      state_type: 'SCHEDULED',
      sort: 'expected_start_time',
      start_after: now.toISOString()
    });
    expect(
      upcomingQuery({ ...EMPTY_FILTER, states: ['FAILED'] }, now)
    ).toBeNull();
    expect(localToISO('not a date')).toBeUndefined();
  });
});

describe('schedule drafts', () => {
  it('turn nested schedules into drafts and drafts into the flat PATCH body', () => {
    const drafts = toDrafts([
      { schedule: { cron: '0 6 * * *', timezone: 'UTC' }, active: true },
      { schedule: { interval: 3600 }, active: false }
    ]);
    expect(drafts.map(d => d.mode)).toEqual(['cron', 'interval']);
    expect(fromDrafts(drafts)).toEqual({
      schedules: [
        { cron: '0 6 * * *', timezone: 'UTC', active: true },
        { interval: 3600, timezone: undefined, active: false }
      ]
    });
  });
  it('name the first problem', () => {
    expect(
      fromDrafts([
        { mode: 'cron', cron: ' ', interval: '', timezone: '', active: true }
      ]).error
    ).toMatch(/schedule 1: the cron string is empty/);
    expect(
      fromDrafts([
        {
          mode: 'interval',
          cron: '',
          interval: '-1',
          timezone: '',
          active: true
        }
      ]).error
    ).toMatch(/positive number/);
  });
});
