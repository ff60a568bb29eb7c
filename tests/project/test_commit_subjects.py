""".ci/commit-subjects, which .ci/run runs first: every commit after the base
recorded in the script has a subject of at most 72 characters. Each test runs
the real script in a throwaway repository, with only its BASE line changed to
that repository's first commit; CI's clone may be shallow, so two tests clone
with --depth."""

import os
import re
import subprocess
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / ".ci" / "commit-subjects"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Editor",
    "GIT_AUTHOR_EMAIL": "editor@example.com",
    "GIT_COMMITTER_NAME": "Editor",
    "GIT_COMMITTER_EMAIL": "editor@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repository, *arguments):
    return subprocess.run(
        ["git", *arguments], cwd=repository, env=GIT_ENV, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit(repository, subject):
    git(repository, "commit", "--quiet", "--allow-empty", "-m", subject, "-m", "Why it was done.")
    return git(repository, "rev-parse", "HEAD")


def repository_with_history(path, subjects):
    """A repository whose first commit is the base, then one commit per subject."""
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch=main")
    base = commit(path, "The history before the rule, never rewritten: " + "x" * 80)
    for subject in subjects:
        commit(path, subject)
    return base


def run_check(repository, base):
    """Install the script with `base` as its BASE and run it; (exit status, output)."""
    script_text = re.sub(r"(?m)^BASE=\w+$", f"BASE={base}", SCRIPT.read_text())
    assert script_text != SCRIPT.read_text()
    installed = repository / ".ci" / "commit-subjects"
    installed.parent.mkdir(exist_ok=True)
    installed.write_text(script_text)
    finished = subprocess.run(["bash", str(installed)], env=GIT_ENV, capture_output=True, text=True)
    return finished.returncode, finished.stdout + finished.stderr


def shallow_clone(source, destination, depth):
    git(source.parent, "clone", "--quiet", f"--depth={depth}", f"file://{source}", str(destination))


def shallow_clone_missing_a_long_subject(tmp_path):
    """(clone, base): after the base a 73-character subject, then two short ones, which the clone holds."""
    source = tmp_path / "source"
    base = repository_with_history(source, ["z" * 73, "Short", "Short again"])
    clone = tmp_path / "clone"
    shallow_clone(source, clone, depth=2)
    return clone, base


def test_subjects_of_72_characters_pass_and_the_base_itself_is_not_checked(tmp_path):
    repository = tmp_path / "repo"
    base = repository_with_history(repository, ["a" * 72, "é" * 72, "Fix the archive's month"])
    status, output = run_check(repository, base)
    assert (status, output.strip()) == (
        0,
        f"commit subjects: ok - 3 commits after {base[:12]}, each subject at most 72 characters",
    )


def test_a_subject_over_72_characters_fails_naming_the_commit_and_its_length(tmp_path):
    repository = tmp_path / "repo"
    long_subject = "Make the house read like its map: " + "y" * 40
    base = repository_with_history(repository, ["Short and clear", long_subject, "Another short one"])
    status, output = run_check(repository, base)
    long_commit = git(repository, "log", "--format=%h", "-1", "HEAD~1")
    assert status == 1
    assert f"  {long_commit} (74 characters): {long_subject}" in output
    assert f"FAILED - 1 of 3 commits after {base[:12]} have a subject over 72 characters" in output


def test_a_shallow_clone_fetches_the_history_it_needs_from_its_remote(tmp_path):
    clone, base = shallow_clone_missing_a_long_subject(tmp_path)
    status, output = run_check(clone, base)
    assert status == 1
    assert "a shallow clone; fetching the rest of its history" in output
    assert f"FAILED - 1 of 3 commits after {base[:12]}" in output


def test_a_shallow_clone_with_no_remote_checks_what_it_has_and_says_what_it_did_not(tmp_path):
    clone, base = shallow_clone_missing_a_long_subject(tmp_path)
    git(clone, "remote", "remove", "origin")
    status, output = run_check(clone, base)
    assert status == 0
    assert "ok - 2 commits of this shallow clone (no remote gave the rest; " in output
    assert f"commits between {base[:12]} and the oldest one here are NOT checked)" in output


def test_a_history_that_does_not_reach_the_base_fails(tmp_path):
    repository = tmp_path / "repo"
    repository_with_history(repository, ["Short"])
    other = tmp_path / "other"
    repository_with_history(other, [])
    other_base = commit(other, "A commit only the other repository has")
    status, output = run_check(repository, other_base)
    assert status == 1
    assert "is not in this repository's history" in output


def merged_history(tmp_path):
    """(source, base): a side branch whose first commit's subject is too long, merged into main."""
    source = tmp_path / "source"
    base = repository_with_history(source, [])
    git(source, "checkout", "--quiet", "-b", "side")
    for subject in ["z" * 73, "Short on the side", "Short again on the side"]:
        commit(source, subject)
    git(source, "checkout", "--quiet", "main")
    commit(source, "Short on main")
    git(source, "merge", "--quiet", "--no-ff", "side", "-m", "Merge side")
    return source, base


def test_a_shallow_clone_holding_the_base_but_cut_inside_a_merge_says_what_it_missed(tmp_path):
    source, base = merged_history(tmp_path)
    clone = tmp_path / "clone"
    shallow_clone(source, clone, depth=3)  # the merge, both parents, the base and one side commit
    git(clone, "remote", "remove", "origin")
    status, output = run_check(clone, base)
    assert status == 0
    assert f"commits after {base[:12]} in this shallow clone (no remote gave the rest; " in output
    assert "commits older than" in output
    assert "are NOT checked" in output


def test_a_shallow_clone_holding_the_base_still_fetches_what_a_merge_cut_off(tmp_path):
    source, base = merged_history(tmp_path)
    clone = tmp_path / "clone"
    shallow_clone(source, clone, depth=3)
    status, output = run_check(clone, base)
    assert status == 1
    assert f"FAILED - 1 of 5 commits after {base[:12]} have a subject over 72 characters" in output
