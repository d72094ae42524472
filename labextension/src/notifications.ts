/**
 * Turning "ui" channel notification messages into JupyterLab notifications.
 *
 * A message is a notification delivery: `subject` holds the rendered text and
 * `body` the values it was rendered from (`text`, `state_name`, `state_type`…).
 */
import type { Notification } from '@jupyterlab/apputils';

import { INotificationMessage } from './tokens';

function bodyField(
  message: INotificationMessage,
  key: string
): string | undefined {
  const body = message.body;
  if (
    body &&
    typeof body === 'object' &&
    typeof (body as any)[key] === 'string'
  ) {
    return (body as any)[key];
  }
  return undefined;
}

/** Notification type for a message, from the state it reports. */
export function notificationType(
  message: INotificationMessage
): Notification.TypeOptions {
  const state = (
    message.state_name ??
    bodyField(message, 'state_name') ??
    bodyField(message, 'state_type') ??
    ''
  ).toLowerCase();
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
  const body =
    typeof message.body === 'string'
      ? message.body
      : (bodyField(message, 'text') ??
        bodyField(message, 'message') ??
        message.message);
  if (message.subject && body && body !== message.subject) {
    return `${message.subject} — ${body}`;
  }
  return message.subject || body || 'Notification';
}
