// Model output and user text -> DOM. Everything goes through DOMPurify: markdown (marked) is
// sanitized as HTML, then math (KaTeX) is typeset into placeholders and the whole result is
// sanitized again in place. Remote images are dropped (a markdown image could carry chat text to
// another server in its URL), links may only be http(s)/mailto/#, and open in a new tab without
// an opener. The libraries are the classic scripts index.html loads (window.marked, ...).
const { marked, DOMPurify, hljs, katex } = window;

// Math the way R1 writes it: $$..$$ and \[..\] (display), \(..\) (inline), and a bare \boxed{..}.
function findBoxed(src) {
  if (!src.startsWith('\\boxed{')) return null;
  let depth = 0;
  for (let i = 6; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return src.slice(0, i + 1);
  }
  return null;
}

const mathBlock = {
  name: 'mathBlock',
  level: 'block',
  start(src) { const m = src.match(/\$\$|\\\[/); return m ? m.index : undefined; },
  tokenizer(src) {
    const m = /^\$\$([\s\S]+?)\$\$[^\S\n]*(?:\n|$)/.exec(src) ||
              /^\\\[([\s\S]+?)\\\][^\S\n]*(?:\n|$)/.exec(src);
    if (m) return { type: 'mathBlock', raw: m[0], tex: m[1].trim(), display: true };
    return undefined;
  },
  renderer(token) { return placeholder(token.tex, true); },
};

const mathInline = {
  name: 'mathInline',
  level: 'inline',
  start(src) { const m = src.match(/\$\$|\\\[|\\\(|\\boxed\{/); return m ? m.index : undefined; },
  tokenizer(src) {
    let m = /^\$\$([\s\S]+?)\$\$/.exec(src) || /^\\\[([\s\S]+?)\\\]/.exec(src);
    if (m) return { type: 'mathInline', raw: m[0], tex: m[1].trim(), display: true };
    m = /^\\\(([\s\S]+?)\\\)/.exec(src);
    if (m) return { type: 'mathInline', raw: m[0], tex: m[1].trim(), display: false };
    const boxed = findBoxed(src);
    if (boxed) return { type: 'mathInline', raw: boxed, tex: boxed, display: false };
    return undefined;
  },
  renderer(token) { return placeholder(token.tex, token.display); },
};

function escapeAttr(text) {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function placeholder(tex, display) {
  return `<span class="math-pending" data-tex="${escapeAttr(tex)}" data-display="${display}"></span>`;
}

marked.use({
  extensions: [mathBlock, mathInline],
  gfm: true,
  breaks: false,
  mangle: false,
  headerIds: false,
  highlight(code, lang) {
    try {
      if (lang && hljs.getLanguage(lang)) return hljs.highlight(lang, code, true).value;
      return hljs.highlightAuto(code).value;
    } catch (e) {
      return null;  // marked escapes the plain code itself
    }
  },
});

const SAFE_URL = /^(?:https?:|mailto:|#)/i;
const SAFE_IMAGE = /^data:image\/(?:png|gif|jpeg|webp);base64,/i;

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    const href = node.getAttribute('href');
    if (href !== null && !SAFE_URL.test(href.trim())) node.removeAttribute('href');
    if (node.hasAttribute('href') && !href.trim().startsWith('#')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  }
  if (node.tagName === 'IMG') {
    const src = node.getAttribute('src') || '';
    node.removeAttribute('srcset');
    if (!SAFE_IMAGE.test(src)) {
      node.removeAttribute('src');
      node.setAttribute('data-blocked', 'remote image not loaded');
    }
  }
});

// Model/user HTML: no forms, frames, styles or SVG (SVG could reference remote resources).
const MARKDOWN_CONFIG = {
  FORBID_TAGS: ['style', 'svg', 'math', 'form', 'input', 'button', 'textarea', 'select', 'iframe',
                'object', 'embed', 'link', 'meta', 'base', 'video', 'audio', 'source', 'picture'],
  FORBID_ATTR: ['style', 'srcset', 'action', 'formaction', 'xlink:href'],
  ALLOW_DATA_ATTR: true,
  RETURN_DOM_FRAGMENT: true,
};
// KaTeX's own output: its inline styles (set through the CSSOM, which the CSP allows) and SVG
// glyphs stay; scripts, handlers and remote URLs still go.
const MATH_CONFIG = { IN_PLACE: true, FORBID_TAGS: ['foreignObject', 'image', 'use'], ADD_ATTR: ['aria-hidden'] };

// DOMPurify 2.x takes every attribute off and sets the kept ones back with setAttribute; a style
// attribute set that way is refused by the CSP (no 'unsafe-inline' for styles), which would leave
// KaTeX's layout (heights, offsets, fraction bars, boxes) unapplied. KaTeX sets its styles
// through the CSSOM, which the CSP allows, so they are taken off before the pass and put back the
// same way on the elements that survive it.
function sanitizeMath(root) {
  const styles = new Map();
  for (const el of root.querySelectorAll('.math [style]')) {
    styles.set(el, el.style.cssText);
    el.removeAttribute('style');
  }
  DOMPurify.sanitize(root, MATH_CONFIG);
  for (const [el, css] of styles) if (root.contains(el)) el.style.cssText = css;
}

function typeset(root) {
  for (const el of root.querySelectorAll('span.math-pending')) {
    const out = document.createElement('span');
    out.className = 'math';
    try {
      katex.render(el.dataset.tex, out, {
        displayMode: el.dataset.display === 'true', throwOnError: false, trust: false,
        strict: 'ignore', output: 'html', maxExpand: 500, maxSize: 50,
      });
    } catch (e) {
      out.textContent = el.dataset.tex;
    }
    el.replaceWith(out);
  }
}

// The Clipboard API exists only in secure contexts: http://localhost is one, but the page opened
// from another machine (http://<host>:7860) is not, so there the selection is copied instead.
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy');
}

function addCopyButtons(root) {
  for (const pre of root.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    if (!code) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = 'Copy';
    button.addEventListener('click', async () => {
      try {
        await copyText(code.textContent);
        button.textContent = 'Copied';
      } catch (e) {
        button.textContent = 'Copy failed';
      }
      setTimeout(() => { button.textContent = 'Copy'; }, 1500);
    });
    pre.classList.add('has-copy');
    pre.prepend(button);
  }
}

/** Markdown text -> a sanitized element (class "markdown") ready to insert. */
export function renderMarkdown(text) {
  const root = document.createElement('div');
  root.className = 'markdown';
  let html;
  try {
    html = marked.parse(text || '');
  } catch (e) {
    root.textContent = text;  // marked should not throw, but plain text is always safe
    return root;
  }
  root.append(DOMPurify.sanitize(html, MARKDOWN_CONFIG));
  typeset(root);
  sanitizeMath(root);
  addCopyButtons(root);  // our own buttons, added after sanitizing
  return root;
}

/** Plain text (user messages, thinking) as a text node: no markup at all. */
export function renderPlain(text) {
  const root = document.createElement('div');
  root.className = 'plain';
  root.textContent = text || '';
  return root;
}
