import { describe, expect, it, vi } from 'vitest';

const requestAPI = vi.fn();
vi.mock('../src/request', () => ({
  requestAPI: (...args: unknown[]) => requestAPI(...args)
}));

import { OutputDrive, outputPath } from '../src/outputDrive';

describe('OutputDrive', () => {
  const settings = { baseUrl: 'http://localhost/' } as any;

  it('serves a run output notebook read-only from the API', async () => {
    const notebook = {
      cells: [],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    };
    requestAPI.mockResolvedValueOnce(notebook);
    const drive = new OutputDrive(settings);
    expect(outputPath('r1')).toBe('OrchOutputs:r1.ipynb');
    const model = await drive.get('r1.ipynb');
    expect(requestAPI).toHaveBeenCalledWith(
      'flow_runs/r1/output',
      {},
      settings
    );
    expect(model).toMatchObject({
      type: 'notebook',
      writable: false,
      content: notebook,
      format: 'json'
    });
  });

  it('refuses every write and passes server errors on', async () => {
    const drive = new OutputDrive(settings);
    await expect(drive.save()).rejects.toThrow(/read-only/);
    await expect(drive.rename()).rejects.toThrow(/read-only/);
    requestAPI.mockRejectedValueOnce(
      new Error('no output notebook for run r2')
    );
    await expect(drive.get('r2.ipynb')).rejects.toThrow(
      'no output notebook for run r2'
    );
  });
});
