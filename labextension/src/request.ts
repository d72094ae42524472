/**
 * Calls to the jupyter-orch REST API (`/orch/api/...`) through Jupyter's
 * ServerConnection, so the user's token, XSRF cookie and base URL are used.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error answered by the API: `{"error": CODE, "message": TEXT, "field"?}`. */
export class OrchAPIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string = 'error',
    readonly field?: string
  ) {
    super(message);
    this.name = 'OrchAPIError';
  }
}

export type Query = Record<
  string,
  string | number | boolean | null | undefined | (string | number)[]
>;

/** Build `path?query` where arrays repeat the key (`tags=a&tags=b`) and empty values are dropped. */
export function buildPath(path: string, query?: Query): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === undefined || v === null || v === '') {
        continue;
      }
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

/** Signature of the transport the model uses; tests pass a fake one. */
export type Requester = <T>(
  path: string,
  init?: { method?: string; body?: unknown; query?: Query }
) => Promise<T>;

/**
 * Make a request to `/orch/api/<path>` and decode the JSON answer.
 *
 * Non-2xx answers become an {@link OrchAPIError} carrying the server's
 * message, so the UI can show it as is.
 */
export async function requestAPI<T>(
  path: string,
  init: { method?: string; body?: unknown; query?: Query } = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(
    settings.baseUrl,
    'orch/api',
    buildPath(path, init.query)
  );
  const request: RequestInit = { method: init.method ?? 'GET' };
  if (init.body !== undefined) {
    request.body = JSON.stringify(init.body);
    request.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new OrchAPIError(
      `Cannot reach the Jupyter server: ${(error as Error).message}`,
      0,
      'network'
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw errorFromResponse(response.status, data, text);
  }
  return data as T;
}

/** Turn an error answer into an OrchAPIError with the most useful message. */
export function errorFromResponse(
  status: number,
  data: any,
  text: string
): OrchAPIError {
  if (data && typeof data === 'object' && typeof data.message === 'string') {
    return new OrchAPIError(
      data.message,
      status,
      data.error ?? 'error',
      data.field
    );
  }
  if (status === 404 && !data) {
    return new OrchAPIError(
      'The orchestration API is not available on this server (is the jupyter_orch server extension enabled?)',
      status,
      'not_found'
    );
  }
  const snippet = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return new OrchAPIError(
    `Request failed (${status})${snippet ? `: ${snippet.slice(0, 200)}` : ''}`,
    status
  );
}

/** Message to show for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
