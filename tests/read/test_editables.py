from venv_doctor.read.editables import file_url_path, finder_mapping, pth_paths


def test_pth_paths_skips_comments_and_imports():
    text = "# comment\n/src/proj\n\nimport _virtualenv\nrelative/dir  \n"
    assert pth_paths(text) == ["/src/proj", "relative/dir"]


def test_finder_mapping_is_read_without_running_the_module():
    source = (
        "import sys\n"
        "MAPPING: dict[str, str] = {'pkg': '/src/proj/src/pkg', 'other': '/x/other'}\n"
        "raise SystemExit('never run')\n"
    )
    assert finder_mapping(source) == {"pkg": "/src/proj/src/pkg", "other": "/x/other"}
    assert finder_mapping("MAPPING = {'a': '/b'}\n") == {"a": "/b"}
    assert finder_mapping("MAPPING = compute()\n") == {}
    assert finder_mapping("this is not python(") == {}


def test_file_url_path():
    assert file_url_path("file:///home/me/my%20proj") == "/home/me/my proj"
    assert file_url_path("file:///C:/proj") == "C:/proj"
    assert file_url_path("https://example.org/x") is None
