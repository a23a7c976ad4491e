"""The VLM proposer through the real `openai` client against the scripted server (no Blender)."""

import base64
import io
import logging

import numpy as np
import pytest
from PIL import Image
from scripted_server import Fault, ScriptedServer

from scenelang import ast as A
from scenelang.printer import print_scene, print_section
from scenelang.stages.budget import Budget
from scenelang.stages.proposers.base import (
    BudgetExhausted,
    Feedback,
    ProposalRequest,
    ProposerError,
    ProposerUnavailable,
    Usage,
    VerifyRequest,
)
from scenelang.stages.proposers.prompts import render_prompt
from scenelang.stages.proposers.registry import make_proposer
from scenelang.stages.proposers.vlm.client import VLMProposer, VLMSettings, parse_verdict

PATCH = "patch geometry {\n  shape ball = sphere(radius=0.5)\n}"
ANSWER = f"The ball is missing.\n\n```sl\n{PATCH}\n```\nThat should do it."


@pytest.fixture
def images(tmp_path):
    target = tmp_path / "target.png"
    render = tmp_path / "render.png"
    Image.fromarray(np.full((30, 40, 3), (200, 40, 40), np.uint8)).save(target)
    Image.fromarray(np.full((30, 40, 3), (20, 20, 20), np.uint8)).save(render)
    return target, render


def make_request(images, budget=None, **changes) -> ProposalRequest:
    target, render = images
    scene = A.Scene()
    fields = dict(
        stage="geometry", section="geometry", sections=("geometry",), round=2, rounds=5,
        attempt=0, scene=scene, scene_text=print_scene(scene),
        section_text=print_section(scene.geometry), target_path=target,
        target=np.zeros((30, 40, 3), np.float32), render_path=render, render=None,
        feedback=Feedback(score=0.25, best_score=0.3, history=("round 1: accepted",)),
        instructions=render_prompt("geometry", round=2, rounds=5, scene_empty=True),
        budget=budget or Budget())
    fields.update(changes)
    return ProposalRequest(**fields)


def proposer_for(server, **settings) -> VLMProposer:
    options = dict(timeout=5.0, backoff=0.01, max_backoff=0.05, max_attempts=4)
    options.update(settings)
    return VLMProposer(VLMSettings(model="scripted-vlm", base_url=server.base_url,
                                   api_key="test-key", **options))


def test_request_carries_prompt_section_and_both_images(images):
    with ScriptedServer([ANSWER]) as server:
        proposal = proposer_for(server).propose(make_request(images))
    assert proposal.patch_text == PATCH + "\n"
    assert proposal.error is None and proposal.raw == ANSWER
    [req] = server.requests
    body = req.body
    assert body["model"] == "scripted-vlm"
    assert req.headers["authorization"] == "Bearer test-key"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    system = body["messages"][0]["content"]
    from scenelang.reference import language_reference

    assert language_reference(compact=True) in system  # generated, not a hand-kept copy
    assert "code block tagged `sl`" in system
    assert "Stage: geometry, round 2 of 5" in req.text
    assert "geometry {\n}" in req.text  # the current (empty) section
    assert "round 1: accepted" in req.text and "0.2500" in req.text
    # two images, target first, sent as PNG data URLs that decode to the files' pixels
    assert len(req.images) == 2
    for sent, path in zip(req.images, images):
        assert sent[:8] == b"\x89PNG\r\n\x1a\n"
        decoded = np.asarray(Image.open(io.BytesIO(sent)).convert("RGB"))
        assert np.array_equal(decoded, np.asarray(Image.open(path).convert("RGB")))
    assert proposal.usage.calls == 1 and proposal.usage.requests == 1
    assert proposal.usage.images_sent == 2
    assert proposal.usage.prompt_tokens == len(req.text) // 4 + 170
    assert proposal.usage.completion_tokens == len(ANSWER) // 4
    assert "[image TARGET: target.png, 40x30 PNG]" in proposal.prompt


def test_repair_request_feeds_the_error_back_verbatim(images):
    error = "patch.slp:2:9: error: unexpected character '\"'\n    shape x\" = box()\n           ^"
    with ScriptedServer([ANSWER]) as server:
        proposer_for(server).propose(make_request(
            images, attempt=1, feedback=Feedback(errors=(error,), previous_patch="shape x\"")))
    assert error in server.requests[0].text
    assert "Your previous answer was rejected" in server.requests[0].text


def test_large_target_is_scaled_down_before_sending(images, tmp_path):
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((600, 1000, 3), np.uint8)).save(big)
    with ScriptedServer([ANSWER]) as server:
        proposer_for(server, image_side=200).propose(make_request((big, images[1])))
    assert Image.open(io.BytesIO(server.requests[0].images[0])).size == (200, 120)


def test_no_code_block_is_reported_as_an_error_to_repair(images, caplog):
    with ScriptedServer(["I would add a red ball."]) as server:
        with caplog.at_level(logging.WARNING, "scenelang"):
            proposal = proposer_for(server).propose(make_request(images))
    assert proposal.patch_text is None
    assert "no fenced code block" in proposal.error
    assert "no fenced code block" in caplog.text


@pytest.mark.parametrize("fault, logged", [
    (Fault.status(429, retry_after=0.2), "HTTP 429"),
    (Fault.status(500), "HTTP 500"),
    (Fault.status(503), "HTTP 503"),
    (Fault.malformed(), "malformed response"),
    (Fault.deep(), "nested too deeply"),
    (Fault.hang(3.0), "timed out"),
])
def test_transient_faults_are_retried_and_logged(images, caplog, fault, logged):
    with ScriptedServer([fault, ANSWER]) as server:
        with caplog.at_level(logging.WARNING, "scenelang"):
            proposal = proposer_for(server, timeout=0.5).propose(make_request(images))
    assert proposal.patch_text == PATCH + "\n"
    assert len(server.requests) == 2
    assert proposal.usage.requests == 2 and proposal.usage.retries == 1
    assert proposal.usage.images_sent == 4
    assert logged in caplog.text and "retrying" in caplog.text


def test_retry_after_is_honoured(images):
    with ScriptedServer([Fault.status(429, retry_after=0.3), ANSWER]) as server:
        proposer_for(server, max_backoff=1.0).propose(make_request(images))
    first, second = server.requests
    assert second.time - first.time >= 0.3


def test_bounded_attempts_then_proposer_error_with_usage(images, caplog):
    with ScriptedServer([], default=Fault.status(500)) as server:
        with caplog.at_level(logging.WARNING, "scenelang"):
            with pytest.raises(ProposerError) as info:
                proposer_for(server, max_attempts=3).propose(make_request(images))
    assert len(server.requests) == 3
    assert "after 3 attempts" in str(info.value) and "HTTP 500" in str(info.value)
    assert info.value.usage.requests == 3 and info.value.usage.calls == 0
    assert "giving up" in caplog.text


def test_client_errors_fail_at_once_with_a_hint(images):
    with ScriptedServer([Fault.status(401)]) as server:
        with pytest.raises(ProposerError, match="HTTP 401.*api-key"):
            proposer_for(server).propose(make_request(images))
    assert len(server.requests) == 1


def test_unreachable_endpoint_is_a_proposer_error(images):
    proposer = VLMProposer(VLMSettings(model="m", base_url="http://127.0.0.1:9/v1",
                                       timeout=1.0, backoff=0.01, max_attempts=2))
    with pytest.raises(ProposerError, match="connection error"):
        proposer.propose(make_request(images))


def test_wall_time_budget_stops_retrying(images):
    budget = Budget(max_seconds=0.3)
    with ScriptedServer([], default=Fault.status(500)) as server:
        with pytest.raises(BudgetExhausted):
            proposer_for(server, backoff=1.0, max_backoff=1.0).propose(
                make_request(images, budget=budget))
    assert len(server.requests) == 1


def test_verify_approves_or_returns_a_checklist(images):
    answers = ["APPROVED", "1. the ball is too small\n2) the light is too warm\nthanks"]
    with ScriptedServer(answers) as server:
        proposer = proposer_for(server)
        request = VerifyRequest("geometry", images[0], images[1], A.Scene(), "scenelang 1\n",
                                Budget())
        first, second = proposer.verify(request), proposer.verify(request)
    assert first.approved and first.checklist == ()
    assert not second.approved
    assert second.checklist == ("the ball is too small", "the light is too warm")
    assert second.usage.calls == 1
    assert "APPROVED" in server.requests[0].text and len(server.requests[0].images) == 2
    assert second.text() == "rejected\n1. the ball is too small\n2. the light is too warm\n"


def test_parse_verdict_edge_cases():
    assert parse_verdict("approved.").approved
    assert not parse_verdict("Not approved: the ball is blue").approved
    assert parse_verdict("").checklist == ()
    long = parse_verdict("\n".join(f"{i}. item {i}" for i in range(1, 20)))
    assert len(long.checklist) == 8


def test_options_default_to_the_environment(monkeypatch):
    monkeypatch.setenv("SCENELANG_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    proposer = make_proposer("vlm")
    assert proposer.settings.model == "env-model"
    assert proposer.settings.base_url == "http://127.0.0.1:1/v1"
    assert proposer.settings.api_key == "env-key"
    assert proposer.describe() == {"name": "vlm", "model": "env-model",
                                   "base_url": "http://127.0.0.1:1/v1"}
    explicit = make_proposer("vlm", model="m2", base_url="http://x/v1", api_key="k", timeout=3)
    assert (explicit.settings.model, explicit.settings.timeout) == ("m2", 3)


def test_missing_model_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("SCENELANG_MODEL", raising=False)
    with pytest.raises(ProposerUnavailable, match="--model"):
        make_proposer("vlm")


def test_prompt_templates_reject_missing_variables():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render_prompt("geometry", round=1)
    for stage in ("draft", "geometry", "materials", "composition", "lighting", "direct"):
        text = render_prompt(stage, round=1, rounds=3, scene_empty=False)
        assert f"Stage: {stage}, round 1 of 3." in text


def test_usage_adds_up():
    total = Usage(calls=1, prompt_tokens=10, latency_s=0.5) + Usage(calls=2, images_sent=4)
    assert total == Usage(calls=3, prompt_tokens=10, images_sent=4, latency_s=0.5)
    assert Usage.from_dict(total.to_dict()) == total


def test_data_url_is_plain_base64_png(images):
    from scenelang.stages.proposers.vlm.client import png_data_url

    url, size = png_data_url(images[0])
    assert url.startswith("data:image/png;base64,") and size == (40, 30)
    assert base64.b64decode(url.split(",", 1)[1])[:4] == b"\x89PNG"
