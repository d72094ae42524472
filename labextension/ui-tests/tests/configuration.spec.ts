/**
 * The Configuration page: variables, secrets and storage configurations are
 * created, edited and deleted from the page (checked through the REST API
 * too), and a secret's value never reaches the DOM, not even after it is
 * replaced. Every wait is on a condition.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { api, exec, pageOf, snap } from './helpers';

test.use({ autoGoto: true });

async function openConfiguration(page: IJupyterLabPageFixture) {
  await exec(page, 'orch:open-configuration');
  const config = pageOf(page, 'configuration').getByTestId(
    'orch-configuration-page'
  );
  await expect(config).toBeVisible();
  return config;
}

/** Accept the page's delete confirmation. */
async function confirmDelete(page: IJupyterLabPageFixture, row: Locator) {
  await row.getByRole('button', { name: 'Delete' }).click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Delete' })
    .click();
  await expect(row).toHaveCount(0);
}

test('variables: create, edit and delete', async ({ page, request }, info) => {
  // The page has its launcher card, opened from the keyboard.
  await exec(page, 'launcher:create');
  const card = page
    .locator('.jp-Launcher:visible .jp-Launcher-section', {
      hasText: 'Orchestration'
    })
    .locator('.jp-LauncherCard', { hasText: 'Variables, Secrets and Storage' });
  await card.focus();
  await page.keyboard.press('Enter');
  await expect(
    pageOf(page, 'configuration').getByTestId('orch-configuration-page')
  ).toBeVisible();
  const config = await openConfiguration(page);
  const section = config.getByTestId('orch-config-variables');
  await section.getByTestId('orch-variable-name').fill('batch_size');
  await section.getByTestId('orch-variable-value').fill('10');
  await section.getByTestId('orch-variable-tags').fill('etl, nightly');
  await section.getByTestId('orch-variable-save').click();
  const row = section.locator('[data-testid="orch-variable"]', {
    has: page.locator('td', { hasText: 'batch_size' })
  });
  await expect(row).toContainText('10');
  await expect(row).toContainText('etl, nightly');

  await row.getByTestId('orch-variable-edit').click();
  await expect(section.getByTestId('orch-variable-value')).toHaveValue('10');
  await section.getByTestId('orch-variable-value').fill('{"rows": 25}');
  // Keyboard: Enter saves.
  await section.getByTestId('orch-variable-value').press('Enter');
  await expect(row.getByTestId('orch-variable-shown-value')).toHaveText(
    '{"rows":25}'
  );
  const stored = await api(request, 'GET', 'variables/name/batch_size');
  expect(stored.value).toEqual({ rows: 25 });
  await snap(config, '42-configuration-variables', info);

  await confirmDelete(page, row);
  const { items } = await api(request, 'GET', 'variables');
  expect(items.map((v: { name: string }) => v.name)).not.toContain(
    'batch_size'
  );
});

test('secrets are write-only: created, replaced and deleted, the value never in the page', async ({
  page,
  request
}, info) => {
  const first = 'first-s3cr3t-value-4711';
  const second = 'second-s3cr3t-value-0815';
  const config = await openConfiguration(page);
  const section = config.getByTestId('orch-config-secrets');
  await section.getByTestId('orch-secret-name').fill('api-token');
  await section.getByTestId('orch-secret-value').fill(first);
  await section.getByTestId('orch-secret-save').click();
  const row = section.locator('[data-testid="orch-secret"]', {
    has: page.locator('td', { hasText: 'api-token' })
  });
  await expect(row).toContainText('hidden');
  await expect(section.getByTestId('orch-secret-value')).toHaveValue('');
  const created = await row.getByTestId('orch-secret-updated').textContent();

  await row.getByTestId('orch-secret-replace').click();
  await expect(section.getByTestId('orch-secret-name')).toHaveValue(
    'api-token'
  );
  await section.getByTestId('orch-secret-value').fill(second);
  await section.getByTestId('orch-secret-value').press('Enter');
  await expect(section.getByTestId('orch-secret-value')).toHaveValue('');
  await expect(section.getByTestId('orch-secret-save')).toHaveText(
    'Add secret'
  );
  const revealed = await api(request, 'POST', 'secrets/name/api-token/reveal');
  expect(revealed.value).toBe(second);
  expect(created).not.toBeNull();

  // Neither value is anywhere in the DOM: text, attributes or input values.
  const dom = await page.evaluate(() => {
    const values = [...document.querySelectorAll('input, textarea')].map(
      el => (el as HTMLInputElement).value
    );
    return document.documentElement.outerHTML + values.join('\n');
  });
  expect(dom).not.toContain(first);
  expect(dom).not.toContain(second);
  await snap(config, '43-configuration-secrets', info);

  await confirmDelete(page, row);
  const { items } = await api(request, 'GET', 'secrets');
  expect(items.map((s: { name: string }) => s.name)).not.toContain('api-token');
});

test('storage: create, edit (credentials kept unless retyped) and delete; credentials shown by key only', async ({
  page,
  request
}, info) => {
  const config = await openConfiguration(page);
  const section = config.getByTestId('orch-config-storage');
  await section.getByTestId('orch-storage-name').fill('lake');
  await section.getByTestId('orch-storage-url').fill('memory://lake/results');
  await section
    .getByTestId('orch-storage-options')
    .fill('{"auto_mkdir": true}');
  await section
    .getByTestId('orch-storage-credentials')
    .fill('{"key": "AKIA-not-shown-9"}');
  await section.getByTestId('orch-storage-save').click();
  const row = section.locator('[data-testid="orch-storage"]', {
    has: page.locator('td', { hasText: 'lake' })
  });
  await expect(row.getByTestId('orch-storage-shown-url')).toHaveText(
    'memory://lake/results'
  );
  await expect(row).toContainText('auto_mkdir');
  await expect(row).not.toContainText('AKIA-not-shown-9');

  // An edit that leaves the credentials empty keeps the stored ones.
  const credentialsIn = async () =>
    (await api(request, 'POST', 'storage/name/lake/reveal')).credentials;
  await row.getByTestId('orch-storage-edit').click();
  await expect(section.getByTestId('orch-storage-url')).toHaveValue(
    'memory://lake/results'
  );
  const credentials = section.getByTestId('orch-storage-credentials');
  await expect(credentials).toHaveValue('');
  await expect(credentials).toHaveAttribute(
    'placeholder',
    /leave empty to keep/
  );
  await section.getByTestId('orch-storage-url').fill('memory://lake/v2');
  await section.getByTestId('orch-storage-save').click();
  await expect(row.getByTestId('orch-storage-shown-url')).toHaveText(
    'memory://lake/v2'
  );
  await expect(row).toContainText('key');
  const stored = await api(request, 'GET', 'storage/name/lake');
  expect(stored.url).toBe('memory://lake/v2');
  expect(stored.options).toEqual({ auto_mkdir: true });
  expect(await credentialsIn()).toEqual({ key: 'AKIA-not-shown-9' });

  // Typed ones replace them.
  await row.getByTestId('orch-storage-edit').click();
  await expect(section.getByTestId('orch-storage-url')).toHaveValue(
    'memory://lake/v2'
  );
  await credentials.fill('{"token": "AKIA-not-shown-10"}');
  await section.getByTestId('orch-storage-save').click();
  await expect(row).toContainText('token');
  await expect(credentials).toHaveValue('');
  expect(await credentialsIn()).toEqual({ token: 'AKIA-not-shown-10' });
  expect(await page.content()).not.toContain('AKIA-not-shown');
  await snap(config, '44-configuration-storage', info);

  // In the dark theme too, the page reads (JupyterLab's CSS variables).
  await page.theme.setDarkTheme();
  await snap(config, '45-configuration-dark', info);
  await page.theme.setLightTheme();

  await confirmDelete(page, row);
  const { items } = await api(request, 'GET', 'storage');
  expect(items.map((s: { name: string }) => s.name)).not.toContain('lake');
});
