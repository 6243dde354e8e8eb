"""One broker account, one strategy: the older claimant keeps it, paper and live differ."""

from alchemiser.operator.accounts import Claimant, Claims, claimant, conflict

OLD = "2026-11-01T00:00:00Z"
NEW = "2026-12-01T00:00:00Z"


def _c(name: str, created: str, **kwargs: str | None) -> Claimant:
    fields = {"namespace": "prod", "mode": "paper", "secret": f"{name}-keys", **kwargs}
    return Claimant(name=name, created=created, **fields)  # type: ignore[arg-type]


def test_the_same_secret_refuses_the_younger_strategy_naming_the_older() -> None:
    """Two strategies on Secret alpaca: the newer one is refused and told which one has it."""
    old, new = _c("a", OLD, secret="alpaca"), _c("b", NEW, secret="alpaca")
    message = conflict(new, [old, new])
    assert message is not None and "prod/a" in message and "Secret alpaca" in message
    assert conflict(old, [old, new]) is None


def test_the_same_reported_account_number_refuses_the_younger() -> None:
    """Different Secrets, one account number reported by both runs."""
    old, new = _c("a", OLD, account="PA1"), _c("b", NEW, account="PA1")
    message = conflict(new, [old])
    assert message is not None and "account PA1" in message and "prod/a" in message


def test_paper_and_live_accounts_never_collide() -> None:
    """Same Secret name and number in paper and live mode are different accounts."""
    old = _c("a", OLD, secret="alpaca", account="1")
    new = _c("b", NEW, secret="alpaca", account="1", mode="live")
    assert conflict(new, [old]) is None


def test_different_endpoints_and_namespaces_do_not_collide_by_secret() -> None:
    """A Secret name means nothing across namespaces; endpoints are distinct exchanges."""
    old = _c("a", OLD, secret="alpaca")
    assert conflict(_c("b", NEW, secret="alpaca", namespace="dev"), [old]) is None
    assert conflict(_c("b", NEW, secret="alpaca", endpoint="http://sim:8080"), [old]) is None


def test_dry_run_strategies_claim_nothing() -> None:
    """dryRun submits nothing: neither refused nor refusing."""
    old = _c("a", OLD, secret="alpaca", mode="dryRun")
    new = _c("b", NEW, secret="alpaca")
    assert conflict(new, [old]) is None
    assert (
        conflict(_c("c", NEW, secret="alpaca", mode="dryRun"), [_c("a", OLD, secret="alpaca")])
        is None
    )


def test_ties_in_age_are_broken_by_name() -> None:
    """Created in the same second: prod/a keeps the account, prod/b is refused."""
    a, b = _c("a", OLD, account="PA1"), _c("b", OLD, account="PA1")
    assert conflict(a, [b]) is None and conflict(b, [a]) is not None


def test_the_claims_index_finds_conflicts_and_forgets_deleted_strategies() -> None:
    """Claims updated as strategies are seen; a forgotten older claimant frees the account."""
    claims = Claims()
    spec = {"mode": "paper", "broker": {"credentialsSecret": "alpaca"}}
    old = claimant("prod", "a", OLD, spec, {})
    new = claimant(
        "prod", "b", NEW, {"broker": {"credentialsSecret": "other"}}, {"account": {"number": "PA9"}}
    )
    claims.update(old)
    claims.update(new)
    assert claims.conflict(new) is None
    claims.update(claimant("prod", "a", OLD, spec, {"account": {"number": "PA9"}}))
    message = claims.conflict(new)
    assert message is not None and "paper account PA9" in message
    claims.forget("prod", "a")
    assert claims.conflict(new) is None
