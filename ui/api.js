// Talking to r1 serve: every request carries the API key when the user gave one; a 401 asks for it
// once (then retries), and the key is kept in localStorage ("remember") or sessionStorage.
const KEY_NAME = 'r1.apiKey';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function storedKey() {
  return sessionStorage.getItem(KEY_NAME) || localStorage.getItem(KEY_NAME) || '';
}

let askForKey = async () => null;  // set by the page: shows the key dialog, resolves to a key
export function onApiKeyNeeded(handler) { askForKey = handler; }

export function forgetApiKey() {
  sessionStorage.removeItem(KEY_NAME);
  localStorage.removeItem(KEY_NAME);
}

/** fetch() with the key; on 401 asks for a key once and retries. Throws ApiError on 4xx/5xx. */
export async function apiFetch(path, options = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(options.headers || {});
    if (options.body !== undefined && !headers.has('Content-Type'))
      headers.set('Content-Type', 'application/json');
    const key = storedKey();
    if (key) headers.set('Authorization', `Bearer ${key}`);
    const res = await fetch(path, { ...options, headers });
    if (res.status === 401 && attempt === 0) {
      const answer = await askForKey();
      if (answer && answer.key) {
        forgetApiKey();
        (answer.remember ? localStorage : sessionStorage).setItem(KEY_NAME, answer.key);
        continue;
      }
    }
    if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
    return res;
  }
}

async function errorMessage(res) {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    if (body && body.error && body.error.message) return body.error.message;
  } catch (e) { /* not JSON */ }
  return `HTTP ${res.status}${text ? ': ' + text.slice(0, 300) : ''}`;
}

export async function apiJson(path, options = {}) {
  const res = await apiFetch(path, options);
  if (res.status === 204) return null;
  return res.json();
}

// The conversation store (/api/conversations). Shapes are read leniently so the page keeps
// working as the store grows fields.
export const history = {
  async list(q = '') {
    const params = new URLSearchParams({ limit: '200' });
    if (q) params.set('q', q);
    const body = await apiJson(`/api/conversations?${params}`);
    return Array.isArray(body) ? body : (body.data || body.conversations || []);
  },
  async create(title, settings) {
    return unwrap(await apiJson('/api/conversations', {
      method: 'POST', body: JSON.stringify({ title, settings }),
    }));
  },
  async get(id) { return unwrap(await apiJson(`/api/conversations/${encodeURIComponent(id)}`)); },
  async rename(id, title) {
    return apiJson(`/api/conversations/${encodeURIComponent(id)}`, {
      method: 'PATCH', body: JSON.stringify({ title }),
    });
  },
  async remove(id) {
    return apiJson(`/api/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' });
  },
  /**
   * Appends a complete message; replaceFromSeq drops that message and everything after it.
   * The request outlives the page (keepalive: a reload just after an answer still saves it),
   * unless it is over the browsers' 64 KiB keepalive limit.
   */
  async append(id, message, replaceFromSeq) {
    const body = { ...message };
    if (replaceFromSeq !== undefined && replaceFromSeq !== null) body.replace_from_seq = replaceFromSeq;
    const text = JSON.stringify(body);
    return unwrap(await apiJson(`/api/conversations/${encodeURIComponent(id)}/messages`, {
      method: 'POST', body: text, keepalive: new Blob([text]).size < 60000,
    }));
  },
  async exportText(id, format) {
    const res = await apiFetch(`/api/conversations/${encodeURIComponent(id)}/export?format=${format}`);
    return res.text();
  },
  async importJson(text) {
    return unwrap(await apiJson('/api/conversations/import', { method: 'POST', body: text }));
  },
};

function unwrap(body) {
  if (body && typeof body === 'object' && body.conversation) return body.conversation;
  if (body && typeof body === 'object' && body.message && body.message.role) return body.message;
  return body;
}
