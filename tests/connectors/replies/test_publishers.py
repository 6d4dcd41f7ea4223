"""Every publisher against its platform's loopback fake, driven by the real client library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.replies.base import PublishedReply
from monitor.errors import (
    NotConfigured,
    PublishAuthError,
    PublishError,
    PublishRateLimited,
    PublishRejected,
    PublishUnavailable,
)
from tests.connectors.replies.conftest import build
from tests.fakes.publish import Kit

TEXT = "Hi! Sorry about the delay, we've sent you a DM with the next steps."


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def test_kits__cover_every_source_that_can_be_answered() -> None:
    from connectors import registry
    from tests.connectors.replies.conftest import KITS

    assert set(KITS) == set(registry.PUBLISH_SOURCES)
    assert registry.load_publisher("rss") is None


def test_publish__posts_one_reply_that_find_returns(kit: Kit) -> None:
    publisher = build(kit)
    since = _since()
    assert publisher.find(kit.target, text=TEXT, since=since) is None
    posted = publisher.publish(kit.target, TEXT)
    assert isinstance(posted, PublishedReply) and posted.platform_id
    assert kit.fake.replies_to(kit.target.external_id) == [TEXT]
    found = publisher.find(kit.target, text=TEXT, since=since)
    assert found is not None and found.platform_id == posted.platform_id


def test_publish__rejected_credentials_name_the_environment_variables(kit: Kit) -> None:
    kit.fake.revoke()
    with pytest.raises(PublishAuthError) as err:
        build(kit).publish(kit.target, TEXT)
    assert not err.value.retryable
    assert any(name in str(err.value) for name in kit.env)
    assert kit.fake.replies_to(kit.target.external_id) == []


def test_publish__missing_write_access_names_what_is_missing(kit: Kit) -> None:
    kit.fake.read_only()
    with pytest.raises(PublishAuthError) as err:
        build(kit).publish(kit.target, TEXT)
    assert kit.write_access in str(err.value) and not err.value.retryable
    assert kit.write_access in (err.value.missing or "")


def test_publish__rate_limited_says_when_to_retry(kit: Kit) -> None:
    kit.fake.limit(42)
    with pytest.raises(PublishRateLimited) as err:
        build(kit).publish(kit.target, TEXT)
    assert err.value.retry_after == pytest.approx(42, abs=1) and err.value.retryable
    assert kit.fake.replies_to(kit.target.external_id) == []


def test_publish__a_second_identical_reply_never_shows_twice(kit: Kit) -> None:
    if "duplicate" not in kit.refusals and not kit.replaces:
        pytest.skip(f"{kit.name} accepts a repeated reply; the outbox's find() prevents it")
    publisher = build(kit)
    publisher.publish(kit.target, TEXT)
    if kit.replaces:  # one reply per review: the platform replaces it
        publisher.publish(kit.target, TEXT)
    else:
        with pytest.raises(PublishRejected) as err:
            publisher.publish(kit.target, TEXT)
        assert err.value.reason == "duplicate" and not err.value.retryable
    assert kit.fake.replies_to(kit.target.external_id) == [TEXT]


def test_publish__deleted_target_is_refused_for_good(kit: Kit) -> None:
    kit.fake.delete(kit.target.external_id)
    with pytest.raises(PublishRejected) as err:
        build(kit).publish(kit.target, TEXT)
    assert err.value.reason == kit.deleted_reason and not err.value.retryable


def test_publish__locked_thread_is_refused_for_good(kit: Kit) -> None:
    if "locked" not in kit.refusals:
        pytest.skip(f"{kit.name} has no locked threads")
    kit.fake.lock(kit.target.external_id)
    with pytest.raises(PublishRejected) as err:
        build(kit).publish(kit.target, TEXT)
    assert err.value.reason == "locked"


def test_publish__timeout_after_the_platform_stored_it_is_found_again(kit: Kit) -> None:
    publisher = build(kit, timeout=0.5)
    since = _since()
    kit.fake.stall = 3.0
    with pytest.raises(PublishUnavailable) as err:
        publisher.publish(kit.target, TEXT)
    assert err.value.retryable and "may have been posted" in str(err.value)
    kit.fake.stall = 0.0
    found = publisher.find(kit.target, text=TEXT, since=since)
    assert found is not None  # the caller reconciles instead of posting again
    assert kit.fake.replies_to(kit.target.external_id) == [TEXT]


def test_check__a_writable_account_has_no_problems(kit: Kit) -> None:
    assert build(kit).check() == []


def test_check__names_missing_write_access(kit: Kit) -> None:
    kit.fake.read_only()
    problems = build(kit).check()
    assert problems and kit.write_access in " ".join(problems)


def test_check__names_rejected_credentials(kit: Kit) -> None:
    kit.fake.revoke()
    problems = build(kit).check()
    assert problems and any(name in " ".join(problems) for name in kit.env)


def test_errors__never_quote_a_secret(kit: Kit) -> None:
    messages: list[str] = []
    for flip in (kit.fake.revoke, kit.fake.read_only):
        flip()
        try:
            build(kit).publish(kit.target, TEXT)
        except PublishError as exc:
            messages.append(str(exc))
        messages += build(kit).check()
    assert messages
    leaked = [s for s in kit.secrets if any(s in m for m in messages)]
    assert leaked == []


def test_from_settings__without_credentials_names_the_variables(kit: Kit) -> None:
    from connectors import registry

    cls = registry.load_publisher(kit.name)
    assert cls is not None
    with pytest.raises(NotConfigured) as err:
        cls.from_settings(kit.options, environ={})
    assert any(name in str(err.value) for name in kit.env)


def test_problem__a_reply_over_the_limit_is_named_before_sending(kit: Kit) -> None:
    publisher = build(kit)
    assert publisher.problem(TEXT) is None
    too_long = "x" * (publisher.limit + 1)
    assert "limit" in (publisher.problem(too_long) or "")
    assert publisher.problem("   ") == "the reply is empty"
