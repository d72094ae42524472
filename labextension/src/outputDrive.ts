/**
 * A read-only Contents drive serving the output notebooks of runs.
 *
 * Output notebooks usually live outside the Jupyter server root (in
 * JUPYTER_ORCH_HOME or on object storage), where the Contents API cannot
 * reach them. This drive fetches them from the orchestration API instead, so
 * JupyterLab opens `OrchOutputs:<flow_run_id>.ipynb` in its own notebook
 * viewer; every write is refused.
 */
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI } from './request';

export const OUTPUT_DRIVE = 'OrchOutputs';

function readOnly(): Promise<never> {
  return Promise.reject(new Error('Output notebooks of runs are read-only.'));
}

/** The drive path of a run's output notebook. */
export function outputPath(runId: string): string {
  return `${OUTPUT_DRIVE}:${runId}.ipynb`;
}

export class OutputDrive implements Contents.IDrive {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  readonly name = OUTPUT_DRIVE;

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }
  dispose(): void {
    this._isDisposed = true;
    Signal.clearData(this);
  }

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const runId = localPath.replace(/^\/+/, '').replace(/\.ipynb$/, '');
    if (!runId) {
      // The drive root: nothing to list.
      return {
        name: '',
        path: '',
        type: 'directory',
        writable: false,
        created: '',
        last_modified: '',
        mimetype: '',
        content: [],
        format: 'json'
      };
    }
    const notebook = await requestAPI<unknown>(
      `flow_runs/${encodeURIComponent(runId)}/output`,
      {},
      this.serverSettings
    );
    const now = new Date().toISOString();
    return {
      name: `${runId}.ipynb`,
      path: `${runId}.ipynb`,
      type: 'notebook',
      writable: false,
      created: now,
      last_modified: now,
      mimetype: 'application/x-ipynb+json',
      content: options?.content === false ? null : notebook,
      format: 'json'
    };
  }

  async getDownloadUrl(): Promise<string> {
    return '';
  }
  newUntitled = readOnly;
  delete = readOnly;
  rename = readOnly;
  save = readOnly;
  copy = readOnly;
  createCheckpoint = readOnly;
  async listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return [];
  }
  restoreCheckpoint = readOnly;
  deleteCheckpoint = readOnly;

  private _isDisposed = false;
  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
}
