"""The OpenAI-compatible API through the official `openai` client: shapes, usage, finish
reasons, stop strings, seeds, n, logprobs, streaming."""
import concurrent.futures

import pytest

GREEDY = dict(temperature=0, max_tokens=12)
MESSAGES = [{"role": "user", "content": "Hello there, how are you?"}]


def test_models_lists_the_loaded_model(client):
    models = client.models.list()
    assert len(models.data) == 1
    assert models.data[0].object == "model"
    assert models.data[0].id


def test_chat_completion_has_the_openai_shape_and_usage(client):
    r = client.chat.completions.create(model="any", messages=MESSAGES, **GREEDY)
    assert r.object == "chat.completion"
    assert r.id.startswith("chatcmpl-")
    assert len(r.choices) == 1
    choice = r.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.finish_reason in ("stop", "length")
    assert r.usage.prompt_tokens > 0
    assert r.usage.completion_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    if choice.finish_reason == "length":
        assert r.usage.completion_tokens == GREEDY["max_tokens"]


def joined(stream):
    """(content, reasoning, finish reasons, usage, roles) of a chat stream."""
    content, reasoning, finishes, usage, roles = "", "", [], None, []
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta.role:
                roles.append(delta.role)
            content += delta.content or ""
            reasoning += getattr(delta, "reasoning_content", None) or ""
            if choice.finish_reason:
                finishes.append(choice.finish_reason)
    return content, reasoning, finishes, usage, roles


def test_stream_equals_the_non_stream_text_and_reports_usage(client):
    whole = client.chat.completions.create(model="any", messages=MESSAGES, **GREEDY)
    stream = client.chat.completions.create(model="any", messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True}, **GREEDY)
    content, reasoning, finishes, usage, roles = joined(stream)
    message = whole.choices[0].message
    assert content == (message.content or "")
    assert reasoning == (getattr(message, "reasoning_content", None) or "")
    assert roles == ["assistant"]
    assert finishes == [whole.choices[0].finish_reason]
    assert usage is not None
    assert usage.completion_tokens == whole.usage.completion_tokens
    assert usage.prompt_tokens == whole.usage.prompt_tokens


def full_text(message):
    return (getattr(message, "reasoning_content", None) or "") + (message.content or "")


def test_raw_reasoning_format_returns_the_text_untouched(client):
    r = client.chat.completions.create(model="any", messages=MESSAGES,
                                       extra_body={"reasoning_format": "raw"}, **GREEDY)
    assert getattr(r.choices[0].message, "reasoning_content", None) in (None, "")
    separate = client.chat.completions.create(model="any", messages=MESSAGES, **GREEDY)
    assert r.choices[0].message.content == full_text(separate.choices[0].message)


def test_completions_with_a_string_and_with_token_ids(client, server):
    r = client.completions.create(model="any", prompt="Once upon a time", **GREEDY)
    assert r.object == "text_completion"
    assert r.choices[0].text
    status, ids = server.json("POST", "/tokenize", {"content": "Once upon a time"})
    assert status == 200
    tokens = ids["tokens"]
    r2 = client.completions.create(model="any", prompt=tokens, **GREEDY)
    assert r2.choices[0].text == r.choices[0].text
    assert r2.usage.prompt_tokens == r.usage.prompt_tokens == len(tokens)


def test_completion_stream_joins_to_the_same_text(client):
    whole = client.completions.create(model="any", prompt="The weather today", **GREEDY)
    text = "".join(c.choices[0].text for c in client.completions.create(
        model="any", prompt="The weather today", stream=True, **GREEDY) if c.choices)
    assert text == whole.choices[0].text


def test_stop_string_ends_the_answer_before_it(client):
    base = client.completions.create(model="any", prompt="Count with me", temperature=0,
                                     max_tokens=16).choices[0].text
    assert len(base) > 6
    stop = base[len(base) // 2:len(base) // 2 + 3]
    cut = base[:base.index(stop)]
    r = client.completions.create(model="any", prompt="Count with me", temperature=0,
                                  max_tokens=16, stop=[stop])
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].text == cut
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model="any", prompt="Count with me", temperature=0, max_tokens=16, stop=stop,
        stream=True) if c.choices)
    assert streamed == cut


def test_seed_makes_sampling_reproducible(client):
    kwargs = dict(model="any", messages=MESSAGES, temperature=1.0, max_tokens=10)
    a = client.chat.completions.create(seed=1234, **kwargs)
    b = client.chat.completions.create(seed=1234, **kwargs)
    assert full_text(a.choices[0].message) == full_text(b.choices[0].message)


def test_n_returns_independent_choices(client):
    r = client.chat.completions.create(model="any", messages=MESSAGES, temperature=1.0,
                                       max_tokens=8, n=2, seed=5)
    assert [c.index for c in r.choices] == [0, 1]
    assert r.usage.completion_tokens == sum(
        8 if c.finish_reason == "length" else 0 for c in r.choices) or r.usage.completion_tokens > 0


def test_logprobs_and_top_logprobs(client):
    r = client.chat.completions.create(model="any", messages=MESSAGES, logprobs=True,
                                       top_logprobs=3, **GREEDY)
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens
    for entry in content:
        assert entry.logprob <= 0
        assert len(entry.top_logprobs) == 3
        # greedy: the chosen token is the most likely one
        assert entry.top_logprobs[0].logprob == pytest.approx(entry.logprob, abs=1e-5)
        assert entry.top_logprobs[0].logprob >= entry.top_logprobs[1].logprob >= \
            entry.top_logprobs[2].logprob


def test_thinking_budget_moves_the_rest_into_content(client):
    r = client.chat.completions.create(model="any", messages=MESSAGES, temperature=0,
                                       max_tokens=20, extra_body={"max_reasoning_tokens": 3})
    message = r.choices[0].message
    assert (getattr(message, "reasoning_content", None) or "") != ""
    assert r.usage.completion_tokens_details.reasoning_tokens >= 3
    raw = client.chat.completions.create(model="any", messages=MESSAGES, temperature=0,
                                         max_tokens=20, extra_body={"max_reasoning_tokens": 3,
                                                                    "reasoning_format": "raw"})
    assert "</think>" in raw.choices[0].message.content


def test_close_tag_mid_answer_splits_reasoning_and_content(client, server):
    status, ids = server.json("POST", "/tokenize", {"content": "</think>", "add_special": False})
    assert status == 200 and len(ids["tokens"]) == 1
    close = ids["tokens"][0]
    # Biasing </think> up makes the model close its thinking at once, in stream and not.
    kwargs = dict(model="any", messages=MESSAGES, temperature=0, max_tokens=6,
                  logit_bias={str(close): 100})
    r = client.chat.completions.create(**kwargs)
    assert (getattr(r.choices[0].message, "reasoning_content", None) or "") == ""
    content, reasoning, _, _, _ = joined(client.chat.completions.create(stream=True, **kwargs))
    assert reasoning == ""
    assert content == (r.choices[0].message.content or "")


def test_eight_concurrent_greedy_streams_match_their_solo_runs(client):
    prompts = [f"Story number {i}: once there was" for i in range(8)]
    solo = [client.completions.create(model="any", prompt=p, temperature=0, max_tokens=16)
            .choices[0].text for p in prompts]

    def run(p):
        return "".join(c.choices[0].text for c in client.completions.create(
            model="any", prompt=p, temperature=0, max_tokens=16, stream=True) if c.choices)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        together = list(pool.map(run, prompts))
    assert together == solo


def test_streamed_multibyte_text_rejoins_exactly(client):
    messages = [{"role": "user", "content": "用中文回答：你好吗？🙂"}]
    whole = client.chat.completions.create(model="any", messages=messages, temperature=0,
                                           max_tokens=24)
    content, reasoning, _, _, _ = joined(client.chat.completions.create(
        model="any", messages=messages, temperature=0, max_tokens=24, stream=True))
    assert reasoning + content == full_text(whole.choices[0].message)
    (reasoning + content).encode("utf-8")  # whole characters only
