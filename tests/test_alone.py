"""The ``alone`` marker (conftest.py): under pytest-xdist such a test holds the suite's lock exclusively, so no other
test, which holds it shared, runs beside it."""

import os

import pytest

from .conftest import alone_lock_path


@pytest.mark.alone
def test_a_test_marked_alone_holds_the_lock_no_other_test_can_share(tmp_path_factory):
    if "PYTEST_XDIST_WORKER" not in os.environ:
        pytest.skip("one process: no other test runs beside any test")
    import fcntl

    with open(alone_lock_path(tmp_path_factory), "a") as other:  # as another worker's test would ask for it
        with pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_SH | fcntl.LOCK_NB)


def test_an_unmarked_test_shares_the_lock(tmp_path_factory):
    if "PYTEST_XDIST_WORKER" not in os.environ:
        pytest.skip("one process: no lock")
    import fcntl

    with open(alone_lock_path(tmp_path_factory), "a") as other:
        fcntl.flock(other, fcntl.LOCK_SH | fcntl.LOCK_NB)  # raises if a test marked alone held it
        fcntl.flock(other, fcntl.LOCK_UN)
