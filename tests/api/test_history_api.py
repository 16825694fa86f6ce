"""The History API (/api/conversations) through raw HTTP: CRUD, messages and tail replacement,
search, paging, export/import, JSON-only bodies (415), error objects, API key (401), and a
history that cannot be opened or saved while /v1 keeps answering."""
import json

import pytest

from conftest import Server

BASE = "/api/conversations"
CHAT = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "temperature": 0}


def error_of(status_body):
    status, body = status_body
    assert set(body) == {"error"}, body
    assert set(body["error"]) >= {"message", "type", "param", "code"}, body
    return status, body["error"]


def new_conversation(server, **fields):
    status, body = server.json("POST", BASE, fields)
    assert status == 201, body
    return body


def append(server, cid, **fields):
    return server.json("POST", f"{BASE}/{cid}/messages", fields)


def test_create_get_rename_delete(server):
    c = new_conversation(server, title="Trip", settings={"temperature": 0.6})
    assert c["object"] == "conversation" and c["title"] == "Trip"
    assert c["settings"] == {"temperature": 0.6} and c["messages"] == []
    status, got = server.json("GET", f"{BASE}/{c['id']}")
    assert status == 200 and got["id"] == c["id"]
    status, renamed = server.json("PATCH", f"{BASE}/{c['id']}", {"title": "Holiday"})
    assert status == 200 and renamed["title"] == "Holiday"
    assert renamed["settings"] == {"temperature": 0.6}
    status, _, payload = server.request("DELETE", f"{BASE}/{c['id']}")
    assert status == 204 and payload == b""
    status, err = error_of(server.json("GET", f"{BASE}/{c['id']}"))
    assert status == 404 and err["code"] == "conversation_not_found"
    assert error_of(server.json("DELETE", f"{BASE}/{c['id']}"))[0] == 404


def test_messages_states_and_tail_replacement(server):
    c = new_conversation(server)
    status, m1 = append(server, c["id"], role="user", content="What is 2+2?")
    assert status == 201 and m1["seq"] == 1 and m1["state"] == "complete"
    status, m2 = append(server, c["id"], role="assistant", content="4", reasoning_content="add",
                        state="stopped", stats={"tokens": 5, "tokens_per_second": 12.5,
                                                "ttft_seconds": 0.1})
    assert status == 201 and m2["seq"] == 2
    # Regenerate: replace the last answer.
    status, m2b = append(server, c["id"], role="assistant", content="Four", replace_from_seq=2)
    assert status == 201 and m2b["seq"] == 2
    # Edit the question: the tail after it goes.
    status, m1b = append(server, c["id"], role="user", content="What is 3+3?", replace_from_seq=1)
    assert status == 201 and m1b["seq"] == 1
    status, got = server.json("GET", f"{BASE}/{c['id']}")
    assert [m["content"] for m in got["messages"]] == ["What is 3+3?"]
    assert got["title"] == "What is 2+2?"  # from the first user message ever saved
    status, err = error_of(append(server, c["id"], role="user", content="x", replace_from_seq=5))
    assert status == 409 and err["param"] == "replace_from_seq"
    status, err = error_of(append(server, c["id"], role="assistant", content="x",
                                  state="in_progress"))
    assert status == 400 and err["param"] == "state"
    status, err = error_of(append(server, c["id"], role="wizard", content="x"))
    assert status == 400 and err["param"] == "role"
    status, err = error_of(append(server, c["id"], role="user"))
    assert status == 400 and err["param"] == "content"


def test_search_escapes_wildcards_and_pages(server):
    tag = "zq9"
    a = new_conversation(server, title=f"{tag} 100% sure")
    new_conversation(server, title=f"{tag} 100 percent")
    b = new_conversation(server, title=f"{tag} plain")
    append(server, b["id"], role="user", content="snake_case")
    new_conversation(server, title=f"{tag} snakeXcase")

    def ids(q):
        status, body = server.json("GET", f"{BASE}?q={q}")
        assert status == 200, body
        return {item["id"] for item in body["data"]}

    assert ids("0%25%20sure") == {a["id"]}  # "0% sure", URL-encoded
    assert ids("e_c") == {b["id"]}
    status, page = server.json("GET", f"{BASE}?q={tag}&limit=2&offset=0")
    assert page["total"] == 4 and len(page["data"]) == 2 and page["has_more"] is True
    assert set(page["data"][0]) >= {"id", "title", "updated_at", "message_count"}
    status, last = server.json("GET", f"{BASE}?q={tag}&limit=2&offset=2")
    assert len(last["data"]) == 2 and last["has_more"] is False
    assert {i["id"] for i in page["data"]}.isdisjoint({i["id"] for i in last["data"]})
    for bad in ("limit=0", "limit=201", "limit=ten", "offset=-1"):
        status, err = error_of(server.json("GET", f"{BASE}?{bad}"))
        assert status == 400 and err["param"] == bad.split("=")[0], err


def test_caps_and_types(server):
    status, err = error_of(server.json("POST", BASE, {"title": "t" * 201}))
    assert status == 400 and err["param"] == "title" and "200" in err["message"]
    assert server.json("POST", BASE, {"title": "é" * 200})[0] == 201
    status, err = error_of(server.json("POST", BASE, {"settings": [1, 2]}))
    assert status == 400 and err["param"] == "settings"
    status, err = error_of(server.json("POST", BASE, {"title": 5}))
    assert status == 400 and err["param"] == "title"


@pytest.mark.parametrize("method,path", [("POST", BASE), ("PATCH", BASE + "/x"),
                                         ("POST", BASE + "/x/messages"),
                                         ("POST", BASE + "/import")])
def test_bodies_must_be_json(server, method, path):
    """A cross-site form can send text/plain or form-encoded bodies, never application/json."""
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        status, _, payload = server.request(method, path, raw=b'{"title": "x"}',
                                            headers={"Content-Type": content_type})
        assert status == 415, payload
        assert json.loads(payload)["error"]["code"] == "unsupported_media_type"
    status, _, payload = server.request(method, path, raw=b'{"title": ')
    assert status in (400, 404), payload  # malformed JSON (or the unknown id "x")


def test_export_and_import_round_trip(server):
    c = new_conversation(server, title="Export me", settings={"seed": 7})
    append(server, c["id"], role="user", content="Sum 1..10?")
    append(server, c["id"], role="assistant", content="\\boxed{55}", reasoning_content="n(n+1)/2",
           state="interrupted", stats={"tokens": 9})
    status, headers, payload = server.request("GET", f"{BASE}/{c['id']}/export?format=json")
    assert status == 200 and "attachment" in headers["content-disposition"]
    exported = json.loads(payload)
    assert exported["format"] == "r1-conversation" and exported["version"] == 1
    assert [m["state"] for m in exported["messages"]] == ["complete", "interrupted"]
    status, headers, md = server.request("GET", f"{BASE}/{c['id']}/export?format=markdown")
    assert status == 200 and headers["content-type"].startswith("text/markdown")
    text = md.decode()
    assert text.startswith("# Export me\n") and "\\boxed{55}" in text and "n(n+1)/2" in text
    assert "interrupted" in text
    status, imported = server.json("POST", BASE + "/import", exported)
    assert status == 201, imported
    assert imported["id"] != c["id"] and imported["title"] == "Export me"
    assert imported["settings"] == {"seed": 7}
    assert [(m["role"], m["content"], m["reasoning_content"], m["state"], m["stats"])
            for m in imported["messages"]] == [
        ("user", "Sum 1..10?", "", "complete", None),
        ("assistant", "\\boxed{55}", "n(n+1)/2", "interrupted", {"tokens": 9})]
    status, err = error_of(server.json("GET", f"{BASE}/{c['id']}/export?format=pdf"))
    assert status == 400 and err["param"] == "format"
    status, err = error_of(server.json("POST", BASE + "/import", {"messages": []}))
    assert status == 400 and err["param"] == "format"
    bad = dict(exported, messages=[{"role": "user", "content": 3}])
    status, err = error_of(server.json("POST", BASE + "/import", bad))
    assert status == 400 and err["param"] == "messages[0].content"


def test_wrong_method_is_405_and_odd_ids_are_404(server):
    status, err = error_of(server.json("PUT", BASE, {}))
    assert status == 405
    status, err = error_of(server.json("GET", f"{BASE}/'%20OR%201=1--"))
    assert status == 404


def test_saved_history_survives_a_restart(tiny_model, tmp_path):
    s = Server(tiny_model, ["--ctx-size", "256"], tmp_path)
    try:
        c = new_conversation(s, title="kept")
        append(s, c["id"], role="user", content="remember me")
    finally:
        s.stop()
    s = Server(tiny_model, ["--ctx-size", "256"], tmp_path)  # same --data-dir
    try:
        status, got = s.json("GET", f"{BASE}/{c['id']}")
        assert status == 200 and got["messages"][0]["content"] == "remember me"
    finally:
        s.stop()


def test_api_key_protects_api_like_v1(tiny_model, tmp_path):
    s = Server(tiny_model, ["--ctx-size", "256", "--api-key", "sekrit"], tmp_path)
    try:
        for method, path in [("GET", BASE), ("POST", BASE), ("GET", BASE + "/abc"),
                             ("DELETE", BASE + "/abc"), ("GET", "/api/other")]:
            status, err = error_of(s.json(method, path, {}))
            assert status == 401 and err["code"] == "invalid_api_key", (method, path)
        auth = {"Authorization": "Bearer sekrit"}
        status, body = s.json("POST", BASE, {"title": "ok"}, headers=auth)
        assert status == 201, body
        status, body = s.json("GET", BASE, headers=auth)
        assert status == 200 and body["total"] == 1
    finally:
        s.stop()


def test_unopenable_history_is_503_while_chat_works(tiny_model, tmp_path):
    # A regular file where the data directory should be fails for root too (chmod would not).
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    s = Server(tiny_model, ["--ctx-size", "256", "--data-dir", str(blocker / "r1")], tmp_path)
    try:
        status, err = error_of(s.json("GET", BASE))
        assert status == 503 and err["code"] == "history_unavailable"
        assert err["message"].startswith("history unavailable: ") and str(blocker) in err["message"]
        status, body = s.json("POST", "/v1/chat/completions", CHAT)
        assert status == 200, body
    finally:
        s.stop()
    assert "conversation history disabled" in s.log_path.read_text()


def test_corrupt_history_is_refused_and_left_alone(tiny_model, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    garbage = bytes(range(256)) * 64
    (data / "history.sqlite3").write_bytes(garbage)
    s = Server(tiny_model, ["--ctx-size", "256"], tmp_path)
    try:
        status, err = error_of(s.json("GET", BASE))
        assert status == 503 and "not an SQLite database" in err["message"]
        assert s.json("POST", "/v1/chat/completions", CHAT)[0] == 200
    finally:
        s.stop()
    assert (data / "history.sqlite3").read_bytes() == garbage


def test_full_history_is_507_not_saved_while_chat_works(tiny_model, tmp_path):
    s = Server(tiny_model, ["--ctx-size", "256", "--history-max-bytes", "65536",
                            "--max-body", "1000000"], tmp_path)
    try:
        c = new_conversation(s)
        status, err = error_of(append(s, c["id"], role="user", content="x" * 200_000))
        assert status == 507 and err["code"] == "history_not_saved"
        assert "not being saved" in err["message"]
        assert s.json("POST", "/v1/chat/completions", CHAT)[0] == 200
        assert append(s, c["id"], role="user", content="small")[0] == 201
    finally:
        s.stop()
