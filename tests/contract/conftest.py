"""The `harness` fixture: parametrise with `indirect=True` over `kinds_with(...)`."""

from collections.abc import Iterator

import pytest

from tests.contract.harnesses import Harness, opener


@pytest.fixture
def harness(request: pytest.FixtureRequest, tmp_path) -> Iterator[Harness]:
    with opener(request.param)(tmp_path) as opened:
        yield opened
