// Sampling settings, kept in localStorage. Defaults are DeepSeek-R1's published recommendations
// (temperature 0.6, top_p 0.95) and the (2048 tokens, repetition penalty 1.1).
const STORE = 'r1.settings';

export const DEFAULTS = Object.freeze({
  temperature: 0.6, top_p: 0.95, max_tokens: 2048, repetition_penalty: 1.1,
  seed: '', max_reasoning_tokens: '', system_prompt: '',
});

const NUMBERS = {
  temperature: [0, 2], top_p: [0, 1], max_tokens: [1, 1 << 20], repetition_penalty: [0.5, 2],
  seed: [0, Number.MAX_SAFE_INTEGER], max_reasoning_tokens: [0, 1 << 20],
};

export function loadSettings() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(STORE) || '{}') };
  } catch (e) {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings) { localStorage.setItem(STORE, JSON.stringify(settings)); }

/** A field's text -> value, or throws with what is wrong (shown next to the field). */
export function parseField(name, text) {
  if (name === 'system_prompt') return text;
  const t = text.trim();
  if (t === '' && (name === 'seed' || name === 'max_reasoning_tokens')) return '';
  const v = Number(t);
  const [lo, hi] = NUMBERS[name];
  if (t === '' || !Number.isFinite(v) || v < lo || v > hi)
    throw new Error(`between ${lo} and ${hi}${name === 'seed' || name === 'max_reasoning_tokens' ? ', or empty' : ''}`);
  if (['max_tokens', 'seed', 'max_reasoning_tokens'].includes(name) && !Number.isInteger(v))
    throw new Error('a whole number');
  return v;
}

/** The request fields these settings add to /v1/chat/completions. */
export function requestFields(s) {
  const out = { temperature: s.temperature, top_p: s.top_p, max_tokens: s.max_tokens,
                repetition_penalty: s.repetition_penalty };
  if (s.seed !== '') out.seed = s.seed;
  if (s.max_reasoning_tokens !== '') out.max_reasoning_tokens = s.max_reasoning_tokens;
  return out;
}
