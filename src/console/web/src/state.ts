/// <reference lib="dom" />
export interface Info {
  dialect: string;
  store: string;
  sandboxed: boolean;
  kql: boolean;
  topologyLoaded: boolean;
  limits: { queryTimeoutMs: number; maxRows: number };
  extent: { firstMs: number | null; lastMs: number | null };
}

export interface ViewContext {
  main: HTMLElement;
  info: Info;
  /** `from`/`to` query parameters for the current time range ('' for all data). */
  rangeQuery: string;
  params: URLSearchParams;
  /** True when re-rendered by a live update rather than by navigation. */
  live: boolean;
  /** Reports the store's data extent when a view learnt it. */
  onExtent: (extent: Info['extent']) => void;
}

export type View = (ctx: ViewContext) => Promise<void>;
