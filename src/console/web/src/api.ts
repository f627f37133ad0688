/// <reference lib="dom" />
/**
 * Talks to the console API. A token, when the console needs one, is read from the URL fragment
 * (`#token=…`, never sent to a server) or asked for once, kept in sessionStorage and sent as a
 * bearer header; live updates use a fetch stream so the token never goes into a URL.
 */
const TOKEN_KEY = 'flowlens.token';

function takeTokenFromFragment(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search + location.hash.replace(/[#&]?token=[^&]+/, '') || '#/overview');
  }
}
takeTokenFromFragment();

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

async function askToken(): Promise<void> {
  const dialog = document.getElementById('token-dialog') as HTMLDialogElement;
  const input = document.getElementById('token-input') as HTMLInputElement;
  if (dialog.open) return new Promise((resolve) => dialog.addEventListener('close', () => resolve(), { once: true }));
  input.value = '';
  dialog.showModal();
  await new Promise<void>((resolve) => dialog.addEventListener('close', () => resolve(), { once: true }));
  if (input.value) sessionStorage.setItem(TOKEN_KEY, input.value);
}

export async function api<T>(path: string, init: RequestInit = {}, retried = false): Promise<T> {
  const res = await fetch(path, { ...init, headers: headers((init.headers as Record<string, string>) ?? {}) });
  if (res.status === 401 && !retried) {
    await askToken();
    return api<T>(path, init, true);
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(res.status, String(body.error ?? res.statusText), body);
  return body as T;
}

export function postJson<T>(path: string, body: unknown): Promise<T> {
  return api<T>(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/** Server-sent events over fetch; reconnects after a pause. Calls `onData` for each `data` event. */
export function subscribe(onData: (payload: { version: string; at: number }) => void, onState: (live: boolean) => void): void {
  const connect = async () => {
    try {
      const res = await fetch('/api/events', { headers: headers() });
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'data' && data) onData(JSON.parse(data) as { version: string; at: number });
        }
      }
    } catch {
      // fall through to reconnect
    }
    onState(false);
    setTimeout(() => void connect(), 2000);
  };
  void connect();
}
