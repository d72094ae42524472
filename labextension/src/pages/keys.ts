/** Tracker keys of the main-area pages: `kind` or `kind:id`. */
import { PageKind } from '../tokens';

/** The tracker key of a page. */
export function pageKey(kind: PageKind, id?: string | null): string {
  return id ? `${kind}:${id}` : kind;
}

/** Parse a key made by {@link pageKey}. */
export function parsePageKey(key: string): { kind: PageKind; id?: string } {
  const i = key.indexOf(':');
  return i < 0
    ? { kind: key as PageKind }
    : { kind: key.slice(0, i) as PageKind, id: key.slice(i + 1) };
}
