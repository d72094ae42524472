/**
 * Playwright configuration for the jupyter-orch UI tests: Galata's defaults,
 * Debian's Chromium (Playwright's browser download is not available here) and
 * a JupyterLab started from jupyter_server_test_config.py on its own port.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.ORCH_UI_PORT || '8899';
const chromium = process.env.ORCH_UI_CHROMIUM || '/usr/bin/chromium';

module.exports = {
  ...baseConfig,
  testDir: './tests',
  outputDir: './test-results',
  // Notebook runs start kernels; give them time on a busy 2-core machine.
  timeout: 240000,
  expect: { timeout: 30000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }]
  ],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync'
      ]
    },
    viewport: { width: 1400, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    video: 'off'
  },
  webServer: {
    command: 'jupyter lab --config jupyter_server_test_config.py',
    url: `http://localhost:${port}/lab`,
    timeout: 120000,
    // Never attach to somebody else's server on that port.
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
