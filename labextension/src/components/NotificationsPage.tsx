/**
 * The Notifications page: rules (which states, tags and deployments; sent
 * through a webhook, email, Slack or as a JupyterLab toast), created,
 * deleted and tried out with "Send test" (the delivery's outcome is shown).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useState } from 'react';

import { LiveResource } from '../live';
import { unwrapItems } from '../model';
import { IOrchModel, IPage } from '../tokens';
import {
  Empty,
  ErrorMessage,
  ITransProps,
  useAction,
  useSignal
} from './common';
import { splitTags } from './RunsList';

type Channel = 'ui' | 'webhook' | 'email' | 'slack';

interface IRule {
  id: string;
  name: string;
  channel: Channel;
  config: Record<string, unknown>;
  state_names: string[];
  tags: string[];
  deployment_ids: string[];
  is_active: boolean;
}

interface IDelivery {
  id: string;
  status: 'PENDING' | 'SENT' | 'FAILED';
  last_error?: string | null;
}

const STATE_NAMES = [
  'Failed',
  'Crashed',
  'Completed',
  'Cancelled',
  'Late',
  'Running',
  'Paused'
];

/** The channel's settings from the form's one address field. */
export function channelConfig(
  channel: Channel,
  address: string
): Record<string, unknown> {
  switch (channel) {
    case 'webhook':
    case 'slack':
      return { url: address.trim() };
    case 'email':
      return {
        to: address
          .split(',')
          .map(a => a.trim())
          .filter(Boolean)
      };
    default:
      return {};
  }
}

function RuleForm(
  props: { model: IOrchModel; onDone: () => Promise<void> } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<Channel>('ui');
  const [address, setAddress] = useState('');
  const [states, setStates] = useState<string[]>(['Failed', 'Crashed']);
  const [tags, setTags] = useState('');
  const [deployments, setDeployments] = useState<string[]>([]);
  const action = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      await model.request('notifications', {
        method: 'POST',
        body: {
          name: name.trim(),
          channel,
          config: channelConfig(channel, address),
          state_names: states,
          tags: splitTags(tags) ?? [],
          deployment_ids: deployments
        }
      });
      await props.onDone();
    });
    if (ok) {
      setName('');
      setAddress('');
    }
  };
  const addressLabel: Record<Channel, string> = {
    ui: '',
    webhook: trans.__('Webhook URL'),
    slack: trans.__('Slack webhook URL'),
    email: trans.__('Email addresses, comma separated')
  };
  return (
    <form
      className="jp-Orch-ruleForm"
      data-testid="orch-rule-form"
      onSubmit={submit}
    >
      <div className="jp-Orch-filterRow">
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Rule name')}
          placeholder={trans.__('rule name')}
          data-testid="orch-rule-name"
          value={name}
          onChange={e => setName(e.currentTarget.value)}
        />
        <HTMLSelect
          aria-label={trans.__('Channel')}
          data-testid="orch-rule-channel"
          value={channel}
          onChange={e => setChannel(e.currentTarget.value as Channel)}
          options={[
            { label: trans.__('JupyterLab notification'), value: 'ui' },
            { label: trans.__('Webhook'), value: 'webhook' },
            { label: trans.__('Email'), value: 'email' },
            { label: trans.__('Slack'), value: 'slack' }
          ]}
        />
        {channel === 'ui' ? null : (
          <input
            className="jp-mod-styled jp-Orch-grow"
            aria-label={addressLabel[channel]}
            placeholder={addressLabel[channel]}
            data-testid="orch-rule-address"
            value={address}
            onChange={e => setAddress(e.currentTarget.value)}
          />
        )}
      </div>
      <div
        className="jp-Orch-chips"
        role="group"
        aria-label={trans.__('When a run enters')}
      >
        <span className="jp-Orch-muted">{trans.__('When a run enters:')}</span>
        {STATE_NAMES.map(s => {
          const on = states.includes(s);
          return (
            <button
              key={s}
              type="button"
              className={`jp-Orch-chip ${on ? 'jp-mod-active' : ''}`}
              aria-pressed={on}
              data-state-name={s}
              onClick={() =>
                setStates(on ? states.filter(x => x !== s) : [...states, s])
              }
            >
              {s}
            </button>
          );
        })}
      </div>
      <div className="jp-Orch-filterRow">
        <input
          className="jp-mod-styled"
          aria-label={trans.__('Only runs with these tags')}
          placeholder={trans.__('only these tags (comma separated)')}
          value={tags}
          onChange={e => setTags(e.currentTarget.value)}
        />
        <select
          className="jp-mod-styled"
          multiple
          aria-label={trans.__('Only these deployments')}
          value={deployments}
          onChange={e =>
            setDeployments(
              Array.from(e.currentTarget.selectedOptions).map(o => o.value)
            )
          }
        >
          {model.deployments.map(d => (
            <option key={d.id} value={d.id}>
              {d.full_name ?? `${d.flow_name}/${d.name}`}
            </option>
          ))}
        </select>
        <Button
          type="submit"
          small
          disabled={!name.trim() || action.busy}
          data-testid="orch-rule-create"
        >
          {trans.__('Create rule')}
        </Button>
      </div>
      <ErrorMessage error={action.error} />
    </form>
  );
}

/** "Send test" and what became of the message. */
function TestButton(
  props: { model: IOrchModel; rule: IRule } & ITransProps
): JSX.Element {
  const { model, rule, trans } = props;
  const [status, setStatus] = useState<string | null>(null);
  const action = useAction();
  const send = () =>
    action.run(async () => {
      let delivery = await model.request<IDelivery>(
        `notifications/${rule.id}/test`,
        { method: 'POST', body: {} }
      );
      setStatus(trans.__('sending…'));
      const deadline = Date.now() + 30000;
      while (delivery.status === 'PENDING' && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 500));
        delivery = await model.request<IDelivery>(
          `notifications/deliveries/${delivery.id}`
        );
      }
      setStatus(
        delivery.status === 'SENT'
          ? trans.__('sent')
          : delivery.status === 'FAILED'
            ? trans.__('failed: %1', delivery.last_error ?? '')
            : trans.__('still queued')
      );
    });
  return (
    <>
      <Button
        small
        minimal
        disabled={action.busy}
        onClick={send}
        data-testid="orch-rule-test"
      >
        {trans.__('Send test')}
      </Button>
      {status ? (
        <span className="jp-Orch-muted" data-testid="orch-rule-test-status">
          {status}
        </span>
      ) : null}
      <ErrorMessage error={action.error} />
    </>
  );
}

export function NotificationsPage(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  const resource = useMemo(
    () =>
      new LiveResource<IRule[]>({
        fetch: async () =>
          unwrapItems(await model.request<IPage<IRule>>('notifications')),
        events: model.events,
        interval: 10000,
        liveInterval: 60000,
        name: 'jupyter-orch:notifications'
      }),
    [model]
  );
  useEffect(() => () => resource.dispose(), [resource]);
  useSignal(resource.changed);
  const action = useAction();
  const names = new Map(
    model.deployments.map(d => [d.id, d.full_name ?? d.name])
  );
  const remove = async (rule: IRule) => {
    const answer = await showDialog({
      title: trans.__('Delete notification rule'),
      body: trans.__('Delete the rule %1?', rule.name),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (answer.button.accept) {
      await action.run(async () => {
        await model.request(`notifications/${rule.id}`, { method: 'DELETE' });
        await resource.refresh();
      });
    }
  };
  const rules = resource.data ?? [];
  return (
    <div className="jp-Orch-fullPage" data-testid="orch-notifications-page">
      <header className="jp-Orch-pageHeader">
        <h1>{trans.__('Notification rules')}</h1>
      </header>
      <RuleForm model={model} onDone={() => resource.refresh()} trans={trans} />
      <ErrorMessage error={action.error ?? resource.error} />
      {rules.length ? (
        <table className="jp-Orch-table jp-Orch-wide" data-testid="orch-rules">
          <thead>
            <tr>
              <th>{trans.__('Rule')}</th>
              <th>{trans.__('Channel')}</th>
              <th>{trans.__('States')}</th>
              <th>{trans.__('Tags')}</th>
              <th>{trans.__('Deployments')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map(r => (
              <tr key={r.id} data-testid="orch-rule" data-rule-name={r.name}>
                <td>{r.name}</td>
                <td>{r.channel}</td>
                <td>{r.state_names.join(', ') || trans.__('any')}</td>
                <td>{r.tags.join(', ') || trans.__('any')}</td>
                <td>
                  {r.deployment_ids
                    .map(id => names.get(id) ?? id.slice(0, 8))
                    .join(', ') || trans.__('any')}
                </td>
                <td>
                  <TestButton model={model} rule={r} trans={trans} />
                  <Button
                    small
                    minimal
                    onClick={() => remove(r)}
                    data-testid="orch-rule-delete"
                  >
                    {trans.__('Delete')}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>
          {resource.loaded
            ? trans.__('No notification rules.')
            : trans.__('Loading…')}
        </Empty>
      )}
    </div>
  );
}
