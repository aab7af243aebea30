from wbserver.domain.console import split_line


def test_stream_lines_split_into_stream_timestamp_and_text():
    assert split_line("2026-11-29T16:28:57.449426 some line") == \
        (False, "2026-11-29T16:28:57.449426", "some line")
    assert split_line("ERROR 2026-11-29T16:28:57.449426Z oops: bad") == \
        (True, "2026-11-29T16:28:57.449426Z", "oops: bad")
    assert split_line("no stamp here") == (False, "", "no stamp here")
    assert split_line("2026-11-29T16:28:57.4 ") == (False, "2026-11-29T16:28:57.4", "")
