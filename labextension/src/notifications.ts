/**
 * Turning "ui" channel notification messages into JupyterLab notifications.
 */
import type { Notification } from '@jupyterlab/apputils';

import { INotificationMessage } from './tokens';

/** Notification type for a message, from the state it reports. */
export function notificationType(message: INotificationMessage): Notification.TypeOptions {
  const state = (message.state_name ?? '').toLowerCase();
  if (['failed', 'crashed', 'timedout'].includes(state)) {
    return 'error';
  }
  if (['late', 'cancelled', 'cancelling'].includes(state)) {
    return 'warning';
  }
  if (['completed', 'cached'].includes(state)) {
    return 'success';
  }
  return 'info';
}

/** Text of a notification message, whatever shape its body has. */
export function notificationText(message: INotificationMessage): string {
  const body = message.body ?? message.message;
  const bodyText =
    typeof body === 'string'
      ? body
      : body && typeof body === 'object' && typeof (body as any).message === 'string'
        ? (body as any).message
        : '';
  return [message.subject, bodyText].filter(Boolean).join(' — ') || 'Notification';
}
