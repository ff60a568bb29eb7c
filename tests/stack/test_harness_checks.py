"""The harness's judgement of editors' saves, on real rows: a save answered
with an error is a problem unless it was a clear refusal, and an errored
create that left its post without the image is reported as half-written."""

import pytest

from tests.stack.harness import check_saves, save_problems

pytestmark = pytest.mark.django_db


def save(kind, event, status=None, **fields):
    return {"kind": kind, "event": event, "status": status, "t": 0.0, **fields}


def test_acknowledged_and_refused_saves_are_no_problem(post_factory):
    post_factory(title="Load create-1")
    saves = [
        save("create", "sent", marker="create-1"),
        save("create", "acknowledged", 302, marker="create-1"),
        save("create", "refused", 200, marker="create-2"),
        save("create", "refused", 503, marker="create-3"),
    ]

    checked = check_saves(saves)

    assert (checked.acknowledged, checked.found, checked.refused) == (1, 1, 2)
    assert save_problems(checked) == []


def test_a_save_answered_with_an_error_is_a_problem_and_a_half_written_row_is_found(post_factory):
    post_factory(title="Load create-9", hero_image="")
    saves = [
        save("create", "refused", 502, marker="create-9"),
        save("edit", "refused", 0, pk=1, marker="edit-1"),
    ]

    checked = check_saves(saves)

    assert [entry["marker"] for entry in checked.errored] == ["create-9", "edit-1"]
    assert [entry["marker"] for entry in checked.half_written] == ["create-9"]
    assert save_problems(checked) == [
        "2 saves answered with an error, not a refusal (1 x no answer, 1 x 502)",
        "1 errored saves left a post without its image",
    ]


def test_an_acknowledged_save_missing_from_the_database_is_lost(db):
    checked = check_saves([save("create", "acknowledged", 302, marker="create-5")])

    assert save_problems(checked) == ["1 acknowledged saves lost"]
