"""``flask --app kb check``: editors see every problem with its file and line."""
from __future__ import annotations


def test_check_passes_on_a_sound_folder(runner):
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0
    assert "2 articles checked: 0 errors, 0 warnings" in result.output


def test_check_reports_file_line_and_field_and_fails(runner, content):
    content.write("orders-and-shipping/typed.md", "---\ntitle: Typed\norder: first\n---\nBody\n")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "articles/orders-and-shipping/typed.md:3:8: error: 'order' should be a whole number, got text ('first')" \
        in result.output
    assert "3 articles checked: 1 errors, 0 warnings" in result.output


def test_check_takes_another_folder(runner, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "lonely.md").write_text("---\nsummary: no title\n---\nBody\n")
    result = runner.invoke(args=["check", str(other)])
    assert result.exit_code == 1
    assert "elsewhere/lonely.md:1: error: 'title' is required and must not be empty" in result.output


def test_check_explains_a_path_that_is_not_a_folder(runner, tmp_path):
    result = runner.invoke(args=["check", str(tmp_path / "missing")])
    assert result.exit_code != 0
    assert "is not a folder" in result.output
