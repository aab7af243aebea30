import pytest

from wbserver.domain.files import check_file_name
from wbserver.errors import InvalidInput
from wbserver.storage.signing import UrlSigner


@pytest.mark.parametrize("name", ["saved.txt", "media/table/t.json", "a b/c.d", "ü.txt",
                                  "a" * 255, "a" * 255 + "/" + "b" * 255])
def test_relative_names_are_accepted(name):
    assert check_file_name(name) == name


@pytest.mark.parametrize("name", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a",
                                  "a\\b", "a/", "x\x00y", "a" * 513, "a" * 256,
                                  "d/" + "ü" * 128])
def test_escaping_and_unstorable_names_are_refused(name):
    """Beyond escaping the run's folder: a part of over 255 bytes cannot be a file's name on
    common file systems (the upload then failed with a 500 after the name was accepted)."""
    with pytest.raises(InvalidInput):
        check_file_name(name)


def test_signature_binds_method_key_and_expiry():
    signer = UrlSigner(b"secret")
    query = dict(p.split("=") for p in signer.sign("PUT", "runs/1/a.txt", expires_in=60,
                                                   now=1000).split("&"))
    ok = dict(expires=query["exp"], signature=query["sig"], now=1000)
    assert signer.verify("PUT", "runs/1/a.txt", **ok)
    assert not signer.verify("GET", "runs/1/a.txt", **ok)
    assert not signer.verify("PUT", "runs/1/b.txt", **ok)
    assert not signer.verify("PUT", "runs/1/a.txt", **{**ok, "now": 1061})
    assert not signer.verify("PUT", "runs/1/a.txt", **{**ok, "expires": str(int(query["exp"]) + 1)})
    assert not UrlSigner(b"other").verify("PUT", "runs/1/a.txt", **ok)
