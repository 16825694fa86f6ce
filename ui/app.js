// The chat page: conversation list, messages, streaming, settings. Rendering is in render.js,
// the wire in api.js / stream.js, settings in settings.js. The page talks only to its own origin.
import { history, onApiKeyNeeded, ApiError } from './api.js';
import { streamChat } from './stream.js';
import { renderMarkdown, renderPlain } from './render.js';
import { DEFAULTS, loadSettings, saveSettings, parseField, requestFields } from './settings.js';

const $ = (id) => document.getElementById(id);
const state = {
  settings: loadSettings(),
  conversation: { id: null, title: 'New chat', messages: [] },
  list: [],
  busy: null,          // { controller } while an answer streams
  saving: true,        // false once the store refused: chatting goes on, "not saved" is shown
};

// ---------- banner: one line per kind of trouble ----------
// 'history': the store refused (stays until a save succeeds again); 'answer': the last answer was
// cut off or failed (cleared when the next starts); 'action': a button's request failed.
const notices = new Map();
function notice(kind, text) {
  if (text) notices.set(kind, text); else notices.delete(kind);
  const box = $('banner-text');
  box.replaceChildren(...[...notices.values()].map((t) => {
    const line = document.createElement('p');
    line.textContent = t;
    return line;
  }));
  $('banner').hidden = notices.size === 0;
}
$('banner-close').addEventListener('click', () => { for (const k of [...notices.keys()]) notice(k, ''); });

// ---------- API key dialog (once; api.js retries with the answer) ----------
let keyPromise = null;
onApiKeyNeeded(() => {
  if (keyPromise) return keyPromise;
  keyPromise = new Promise((resolve) => {
    const dialog = $('key-dialog');
    $('key-input').value = '';
    const finish = (answer) => { dialog.close(); keyPromise = null; resolve(answer); };
    $('key-form').onsubmit = (e) => { e.preventDefault(); finish({ key: $('key-input').value.trim(), remember: $('key-remember').checked }); };
    $('key-cancel').onclick = () => finish(null);
    dialog.showModal();
  });
  return keyPromise;
});

// ---------- saving ----------
// A store that refuses (disk full, read-only, unavailable) never stops the chat: the page keeps
// the conversation in this tab and shows "Not saved" (badge and banner) until a save succeeds
// again; a new or reopened conversation tries the store again.
function setSaving(ok, reason = '') {
  state.saving = ok;
  $('not-saved').hidden = ok;
  $('not-saved').title = reason;
  notice('history', ok ? '' : reason);
}

async function save(fn) {
  if (!state.saving) return null;
  try {
    const result = await fn();
    if (!$('not-saved').hidden) setSaving(true);
    return result;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e;
    setSaving(false, `Not saved: ${e.message}. Chatting still works; this conversation is kept only in this tab.`);
    return null;
  }
}

// ---------- sidebar ----------
async function refreshList() {
  try {
    state.list = await history.list($('search').value.trim());
  } catch (e) {
    state.list = [];
    if (state.saving) setSaving(false, `History is unavailable (${e.message}); conversations are not saved.`);
  }
  const ul = $('conversations');
  ul.replaceChildren();
  for (const c of state.list) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'conversation' + (c.id === state.conversation.id ? ' current' : '');
    b.textContent = c.title || 'Untitled';
    b.dataset.id = c.id;
    b.addEventListener('click', () => openConversation(c.id));
    li.append(b);
    ul.append(li);
  }
}
let searchTimer = null;
$('search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(refreshList, 200); });

async function openConversation(id) {
  if (state.busy) return;
  try {
    const c = await history.get(id);
    state.conversation = { id: c.id, title: c.title || 'Untitled', messages: (c.messages || []).map(fromStored) };
    location.hash = `#c=${encodeURIComponent(c.id)}`;
  } catch (e) {
    notice('action', `Could not open the conversation: ${e.message}`);
    return;
  }
  state.saving = true;
  notice('action', '');
  document.body.classList.remove('sidebar-open');
  renderAll();
  refreshList();
}

function fromStored(m) {
  return { seq: m.seq, role: m.role, content: m.content || '', reasoning_content: m.reasoning_content || '',
           state: m.state || 'complete', stats: m.stats || null };
}

function newChat() {
  if (state.busy) return;
  state.conversation = { id: null, title: 'New chat', messages: [] };
  state.saving = true;
  location.hash = '';
  renderAll();
  refreshList();
  $('input').focus();
}
$('new-chat').addEventListener('click', newChat);
$('open-sidebar').addEventListener('click', () => document.body.classList.add('sidebar-open'));
$('close-sidebar').addEventListener('click', () => document.body.classList.remove('sidebar-open'));

$('rename').addEventListener('click', async () => {
  const c = state.conversation;
  if (!c.id) return;
  const title = prompt('New title', c.title);
  if (title === null || !title.trim()) return;
  try {
    await history.rename(c.id, title.trim());
    c.title = title.trim();
    renderTitle();
    refreshList();
  } catch (e) { notice('action', `Rename failed: ${e.message}`); }
});
$('delete').addEventListener('click', async () => {
  const c = state.conversation;
  if (!c.id || !confirm(`Delete "${c.title}"?`)) return;
  try {
    await history.remove(c.id);
    newChat();
  } catch (e) { notice('action', `Delete failed: ${e.message}`); }
});

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
// A conversation the store refused lives only in this tab: its JSON export (what
// POST /api/conversations/import takes) is written here, to be imported once saving works again.
function tabExport(c) {
  const messages = c.messages.filter((m) => m.state !== 'streaming').map((m) => ({
    role: m.role, content: m.content, reasoning_content: m.reasoning_content || '',
    state: m.state || 'complete', stats: m.stats || null,
  }));
  return JSON.stringify({ format: 'r1-conversation', version: 1, title: c.title,
                          settings: requestFields(state.settings), messages }, null, 2);
}

async function exportAs(format) {
  const c = state.conversation;
  if (!c.id && !(format === 'json' && c.messages.length)) return;
  try {
    const text = c.id ? await history.exportText(c.id, format) : tabExport(c);
    const base = (c.title || 'conversation').replace(/[^\w.-]+/g, '_').slice(0, 60);
    download(`${base}.${format === 'markdown' ? 'md' : 'json'}`, format === 'markdown' ? 'text/markdown' : 'application/json', text);
  } catch (e) { notice('action', `Export failed: ${e.message}`); }
}
$('export-md').addEventListener('click', () => exportAs('markdown'));
$('export-json').addEventListener('click', () => exportAs('json'));
$('import-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  try {
    const c = await history.importJson(await file.text());
    await refreshList();
    if (c && c.id) openConversation(c.id);
  } catch (err) { notice('action', `Import failed: ${err.message}`); }
});

// ---------- messages ----------
function renderTitle() {
  $('title').textContent = state.conversation.title;
  document.title = `${state.conversation.title} · r1`;
  const { id, messages } = state.conversation;
  for (const button of ['rename', 'export-md', 'delete']) $(button).disabled = !id;
  $('export-json').disabled = !id && !messages.length;  // unsaved: exported from the tab
}

function statsLine(m) {
  const s = m.stats;
  const parts = [];
  if (s) {
    if (s.tokens !== undefined) parts.push(`${s.tokens} tokens`);
    if (s.tokens_per_second) parts.push(`${s.tokens_per_second.toFixed(1)} tok/s`);
    if (s.ttft_s !== undefined && s.ttft_s !== null) parts.push(`TTFT ${s.ttft_s.toFixed(2)} s`);
  }
  if (m.state && m.state !== 'complete') parts.push(m.state);
  return parts.join(' · ');
}

function messageView(m, index) {
  const el = document.createElement('article');
  el.className = `message ${m.role} state-${m.state || 'complete'}`;
  el.dataset.index = index;
  if (m.role === 'assistant') {
    if (m.reasoning_content || m.thinking) {
      // Open while thinking, folded once the answer starts, unless the reader chose otherwise
      // (a click is remembered across the re-renders of streaming).
      const details = document.createElement('details');
      details.className = 'thinking';
      details.open = m.thinkingOpen ?? (!!m.thinking && !m.content);
      const summary = document.createElement('summary');
      summary.addEventListener('click', () => { m.thinkingOpen = !details.open; });
      // A thinking time of 0 s is a time (the first answer text can arrive in the same read as
      // the last thinking text); only a missing one (an older saved message) says nothing more.
      const secs = m.stats ? m.stats.thought_s : null;
      const timed = typeof secs === 'number' && Number.isFinite(secs);
      summary.textContent = m.thinking && !m.content ? 'Thinking…' : (timed ? `Thought for ${Math.max(1, Math.round(secs))} s` : 'Thinking');
      details.append(summary, renderPlain(m.reasoning_content));
      el.append(details);
    }
    const body = renderMarkdown(m.content);
    body.classList.add('answer');
    el.append(body);
    const foot = document.createElement('div');
    foot.className = 'footer';
    const stats = document.createElement('span');
    stats.className = 'stats';
    stats.textContent = statsLine(m);
    foot.append(stats);
    if (!state.busy && index === state.conversation.messages.length - 1) {
      foot.append(actionButton('Regenerate', 'regenerate', () => regenerate()));
    }
    el.append(foot);
  } else {
    el.append(renderPlain(m.content));
    if (!state.busy) {
      const foot = document.createElement('div');
      foot.className = 'footer';
      foot.append(actionButton('Edit', 'edit', () => startEdit(index, el)));
      el.append(foot);
    }
  }
  return el;
}

function actionButton(label, cls, handler) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `action ${cls}`;
  b.textContent = label;
  b.addEventListener('click', handler);
  return b;
}

function renderAll() {
  renderTitle();
  const box = $('messages');
  box.replaceChildren(...state.conversation.messages.map(messageView));
  if (!state.conversation.messages.length) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'Ask anything. Answers stream with their thinking; math, code and markdown are rendered.';
    box.append(empty);
  }
  box.scrollTop = box.scrollHeight;
}

// Re-render only the streaming message, at most once per frame.
let frame = 0;
function renderStreaming() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const msgs = state.conversation.messages;
    const box = $('messages');
    const last = box.lastElementChild;
    const view = messageView(msgs[msgs.length - 1], msgs.length - 1);
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    if (last && last.classList.contains('assistant')) last.replaceWith(view); else box.append(view);
    if (atBottom) box.scrollTop = box.scrollHeight;
  });
}

function startEdit(index, el) {
  if (state.busy) return;
  const m = state.conversation.messages[index];
  const area = document.createElement('textarea');
  area.className = 'edit-box';
  area.value = m.content;
  const bar = document.createElement('div');
  bar.className = 'footer';
  bar.append(actionButton('Send', 'edit-send', () => resend(index, area.value)),
             actionButton('Cancel', 'edit-cancel', () => renderAll()));
  el.replaceChildren(area, bar);
  area.focus();
}

// ---------- sending ----------
function setBusy(busy) {
  $('send').hidden = busy;
  $('stop').hidden = !busy;
  $('new-chat').disabled = busy;
}

// The first message names the conversation, saved or not.
async function ensureConversation(firstText) {
  const c = state.conversation;
  if (c.id || c.messages.length) return;
  c.title = firstText.replace(/\s+/g, ' ').trim().slice(0, 80) || 'New chat';
  const created = await save(() => history.create(c.title, requestFields(state.settings)));
  if (created && created.id) {
    c.id = created.id;
    c.title = created.title || c.title;
    location.hash = `#c=${encodeURIComponent(c.id)}`;
  }
}

async function store(message, replaceFromSeq) {
  const c = state.conversation;
  if (!c.id) return;
  const { role, content, reasoning_content, state: st, stats } = message;
  const saved = await save(() => history.append(c.id, { role, content, reasoning_content, state: st, stats }, replaceFromSeq));
  if (saved && saved.seq !== undefined) message.seq = saved.seq;
}

async function send(text) {
  if (state.busy || !text.trim()) return;
  await ensureConversation(text);
  const user = { role: 'user', content: text, state: 'complete' };
  state.conversation.messages.push(user);
  await store(user);
  refreshList();
  await answer();
}

async function resend(index, text) {
  if (state.busy || !text.trim()) return;
  const msgs = state.conversation.messages;
  const replaced = msgs[index];
  msgs.splice(index);
  const user = { role: 'user', content: text, state: 'complete' };
  msgs.push(user);
  await store(user, replaced.seq ?? index);
  await answer();
}

async function regenerate() {
  const msgs = state.conversation.messages;
  const last = msgs[msgs.length - 1];
  if (state.busy || !last || last.role !== 'assistant') return;
  msgs.pop();
  await answer(last.seq ?? msgs.length);
}

async function answer(replaceFromSeq) {
  const s = state.settings;
  const history_ = state.conversation.messages.map((m) => ({ role: m.role, content: m.content }));
  const messages = s.system_prompt.trim() ? [{ role: 'system', content: s.system_prompt }, ...history_] : history_;
  const m = { role: 'assistant', content: '', reasoning_content: '', state: 'streaming', thinking: true, stats: null };
  state.conversation.messages.push(m);
  const controller = new AbortController();
  state.busy = { controller, message: m, replaceFromSeq, savedOnHide: false };
  setBusy(true);
  notice('answer', '');
  renderAll();
  const t0 = performance.now();
  let tFirst = null; let tThinkStart = null; let tAnswer = null; let deltas = 0; let usage = null;
  const mark = () => { const now = performance.now(); if (tFirst === null) tFirst = now; deltas++; return now; };
  const result = await streamChat({ messages, ...requestFields(s) }, controller.signal, {
    onReasoning(text) { const now = mark(); if (tThinkStart === null) tThinkStart = now; m.reasoning_content += text; renderStreaming(); },
    onContent(text) { const now = mark(); if (tAnswer === null) tAnswer = now; m.thinking = false; m.content += text; renderStreaming(); },
    onUsage(u) { usage = u; },
  });
  const tEnd = performance.now();
  const tokens = usage ? usage.completion_tokens : deltas;
  m.thinking = false;
  m.state = result.state;
  m.stats = {
    tokens,
    tokens_per_second: tFirst !== null && tEnd > tFirst ? tokens / ((tEnd - tFirst) / 1000) : 0,
    ttft_s: tFirst !== null ? (tFirst - t0) / 1000 : null,
    thought_s: tThinkStart !== null ? ((tAnswer ?? tEnd) - tThinkStart) / 1000 : null,
  };
  const savedOnHide = state.busy.savedOnHide;
  if (savedOnHide) m.state = 'interrupted';  // as stored; shown so if the page comes back
  state.busy = null;
  setBusy(false);
  if (frame) { cancelAnimationFrame(frame); frame = 0; }
  renderAll();
  if (!savedOnHide) await store(m, replaceFromSeq);
  if (result.state === 'interrupted' || result.state === 'error') {
    const saved = state.saving && state.conversation.id ? ` and saved as "${result.state}"` : '';
    const kept = m.content || m.reasoning_content ? `The partial answer is kept${saved}.` : 'Nothing was answered.';
    notice('answer', `${result.error || 'The answer was cut off.'} ${kept} Regenerate tries again.`);
  }
}

// Closing or leaving the tab mid-answer: the stream is cancelled (Chromium may otherwise keep it
// going while the page sits in its back/forward cache, and the server keeps generating), and what
// has arrived is saved as "interrupted" by a request that outlives the page (fetch keepalive).
window.addEventListener('pagehide', () => {
  const b = state.busy;
  const c = state.conversation;
  if (!b) return;
  b.controller.abort();
  if (!c.id || !state.saving) return;
  b.savedOnHide = true;
  const m = b.message;
  history.append(c.id, { role: 'assistant', content: m.content, reasoning_content: m.reasoning_content,
                         state: 'interrupted', stats: null }, b.replaceFromSeq)
    .catch(() => {});
});

$('stop').addEventListener('click', () => { if (state.busy) state.busy.controller.abort(); });
$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('input').value;
  if (!text.trim() || state.busy) return;
  $('input').value = '';
  autosize();
  send(text);
});
$('input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});
// The box grows with its text up to 240 px (then scrolls); scrollHeight leaves out the border.
function autosize() {
  const t = $('input');
  t.style.height = 'auto';
  const wanted = t.scrollHeight + t.offsetHeight - t.clientHeight;
  t.style.height = `${Math.min(wanted, 240)}px`;
  t.style.overflowY = wanted > 240 ? 'auto' : 'hidden';
}
$('input').addEventListener('input', autosize);

// ---------- settings ----------
const form = $('settings-form');
function fillSettings(s) {
  for (const name of Object.keys(DEFAULTS)) form.elements[name].value = String(s[name]);
  $('settings-error').hidden = true;
}
$('open-settings').addEventListener('click', () => { fillSettings(state.settings); $('settings').showModal(); });
$('settings-cancel').addEventListener('click', () => $('settings').close());
$('settings-reset').addEventListener('click', () => fillSettings(DEFAULTS));
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const next = {};
  for (const name of Object.keys(DEFAULTS)) {
    try {
      next[name] = parseField(name, form.elements[name].value);
    } catch (err) {
      $('settings-error').textContent = `${form.elements[name].parentElement.firstChild.textContent.trim()}: ${err.message}.`;
      $('settings-error').hidden = false;
      form.elements[name].focus();
      return;
    }
  }
  state.settings = next;
  saveSettings(next);
  $('settings').close();
});

// ---------- start ----------
async function start() {
  autosize();
  renderAll();
  await refreshList();
  const m = /#c=([^&]+)/.exec(location.hash);
  if (m) await openConversation(decodeURIComponent(m[1]));
  $('input').focus();
}
start();
