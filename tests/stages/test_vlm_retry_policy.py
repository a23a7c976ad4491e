"""The VLM proposer's documented retry policy and image size (docs/reconstruction.md, "The VLM
proposer"): 1 s first delay, doubling, at most 30 s, at most 5 attempts, the target scaled to at
most 768 px, and 400/401/403/404 failing at once with a hint. Real `openai` client against the
scripted server on 127.0.0.1; no Blender."""

import io
import logging
import re

import numpy as np
import pytest
from PIL import Image
from scripted_server import Fault, ScriptedServer
from test_vlm import ANSWER, make_request

from scenelang.stages.proposers.base import ProposerError
from scenelang.stages.proposers.registry import make_proposer
from scenelang.stages.proposers.vlm.client import VLMProposer, VLMSettings

DELAY = re.compile(r"retrying in ([0-9.]+) s")


@pytest.fixture
def images(tmp_path):
    target, render = tmp_path / "target.png", tmp_path / "render.png"
    Image.fromarray(np.full((30, 40, 3), (200, 40, 40), np.uint8)).save(target)
    Image.fromarray(np.full((30, 40, 3), (20, 20, 20), np.uint8)).save(render)
    return target, render


def proposer(server, **settings) -> VLMProposer:
    return VLMProposer(VLMSettings(model="scripted-vlm", base_url=server.base_url,
                                   api_key="test-key", **settings))


def test_documented_retry_defaults_1s_doubling_30s_cap_5_attempts_120s_timeout_768px():
    for settings in (VLMSettings(model="m"), make_proposer("vlm", model="m").settings):
        assert (settings.backoff, settings.max_backoff, settings.max_attempts) == (1.0, 30.0, 5)
        assert settings.timeout == 120.0 and settings.image_side == 768


def test_a_failing_endpoint_gets_exactly_five_attempts_by_default(images):
    with ScriptedServer([], default=Fault.status(500)) as server:
        with pytest.raises(ProposerError, match="after 5 attempts"):
            proposer(server, backoff=0.01, max_backoff=0.02).propose(make_request(images))
    assert len(server.requests) == 5


def test_retry_delays_double_with_jitter_and_never_exceed_the_cap(images, caplog):
    backoff, cap, attempts = 0.05, 0.2, 8
    with ScriptedServer([], default=Fault.status(503)) as server:
        with caplog.at_level(logging.WARNING, "scenelang"):
            with pytest.raises(ProposerError):
                proposer(server, backoff=backoff, max_backoff=cap,
                         max_attempts=attempts).propose(make_request(images))
    delays = [float(d) for d in DELAY.findall(caplog.text)]
    assert len(delays) == attempts - 1 == len(server.requests) - 1
    for k, delay in enumerate(delays):  # +-50% jitter around backoff * 2**k, capped (2-decimal log)
        base = backoff * 2 ** k
        assert min(cap, 0.5 * base) - 0.005 <= delay <= min(cap, 1.5 * base) + 0.005, (k, delays)
    # the waits really happen: the requests are at least the logged delays apart (minus rounding)
    gaps = [b.time - a.time for a, b in zip(server.requests, server.requests[1:])]
    assert all(gap >= delay - 0.01 for gap, delay in zip(gaps, delays))


def test_default_image_side_scales_a_large_target_to_768_px(images, tmp_path):
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((600, 1000, 3), np.uint8)).save(big)
    with ScriptedServer([ANSWER]) as server:
        proposer(server).propose(make_request((big, images[1])))
    width, height = Image.open(io.BytesIO(server.requests[0].images[0])).size
    assert width == 768 and abs(height - 600 * 768 / 1000) <= 1


@pytest.mark.parametrize("code, hint", [
    (400, "the endpoint rejected the request"),
    (401, "check --api-key"),
    (403, "the key may not have access to this model"),
    (404, "check --base-url"),
])
def test_client_errors_fail_at_once_without_retries_and_with_a_hint(images, code, hint):
    with ScriptedServer([Fault.status(code)], default=Fault.status(code)) as server:
        with pytest.raises(ProposerError) as info:
            proposer(server, backoff=0.01).propose(make_request(images))
    assert len(server.requests) == 1
    assert f"HTTP {code}" in str(info.value) and hint in str(info.value)
    assert info.value.usage.requests == 1 and info.value.usage.retries == 0
