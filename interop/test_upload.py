"""Uploads through the real PyPI `mediafire==0.6.1` client (package unedited).

`upload_file` of a 1 MiB random file into a folder takes the simple path (upload/check →
upload/simple with X-Filename/X-Filesize/X-Filehash → upload/poll_upload); the same bytes under
another name take the instant path (check says hash_exists → upload/instant). file/get_info then
shows the hash and size. A 40 MiB file takes the resumable path (upload/check resumable=yes →
20 multipart units of 2 MiB, part `chunk`, with x-unit-* headers → check says all_units_ready →
upload/poll_upload). `download_file` of both (file/get_links direct_download, rewritten to
https by the client, over the server's self-signed TLS) gives back the same bytes.
"""

import hashlib
import io
import os

import pytest
from mediafire.api import MediaFireApiError
from mediafire.client import MediaFireClient

MIB = 1024 * 1024


@pytest.fixture
def client(mf_api, server):
    c = MediaFireClient(_api=lambda: mf_api)
    c.login(email=server.email, password=server.password, app_id=server.app_id)
    return c


def test_simple_then_instant(client):
    data = os.urandom(MIB)
    digest = hashlib.sha256(data).hexdigest()
    client.create_folder("mf:///uploads", recursive=True)

    first = client.upload_file(io.BytesIO(data), "mf:///uploads/random.bin")
    assert first.action == "upload/simple"
    assert first.quickkey and len(first.quickkey) == 15
    assert first.hash_ == digest
    assert int(first.size) == MIB
    assert first.filename == "random.bin"

    # Every request the SDK sends during the second upload: none may carry the file's bytes.
    sent = []
    real_post = client.api.http.post

    def recording_post(url, data=None, **kwargs):
        size = len(data) if isinstance(data, (bytes, bytearray)) else 0
        if hasattr(data, "len"):  # requests_toolbelt's MultipartEncoder
            size = data.len
        sent.append((url.decode() if isinstance(url, bytes) else url, size))
        return real_post(url, data=data, **kwargs)

    client.api.http.post = recording_post
    try:
        second = client.upload_file(io.BytesIO(data), "mf:///uploads/the same, renamed ✓.bin")
    finally:
        client.api.http.post = real_post
    assert second.action == "upload/instant"
    assert any("/upload/instant" in url for url, _ in sent), sent
    assert not any("/upload/simple" in url or "/upload/resumable" in url for url, _ in sent), sent
    assert sum(size for _, size in sent) < 4096, sent  # parameters only, never the body
    assert second.quickkey != first.quickkey
    assert second.filename == "the same, renamed ✓.bin"

    for key in (first.quickkey, second.quickkey):
        info = client.api.file_get_info(quick_key=key)["file_info"]
        assert info["hash"] == digest
        assert int(info["size"]) == MIB
    resource = client.get_resource_by_uri("mf:///uploads/the same, renamed ✓.bin")
    assert resource["quickkey"] == second.quickkey

    out = io.BytesIO()
    client.download_file("mf:///uploads/random.bin", out)
    assert out.getvalue() == data


def test_upload_again_replaces_with_a_new_version(client):
    client.create_folder("mf:///versions", recursive=True)
    one = client.upload_file(io.BytesIO(b"first content"), "mf:///versions/notes.txt")
    two = client.upload_file(io.BytesIO(b"second content!"), "mf:///versions/notes.txt")
    # upload_file sends action_on_duplicate=replace: same file, new content.
    assert two.quickkey == one.quickkey
    info = client.api.file_get_info(quick_key=one.quickkey)["file_info"]
    assert info["hash"] == hashlib.sha256(b"second content!").hexdigest()
    # The same bytes again: check reports the file as already there, nothing is uploaded.
    three = client.upload_file(io.BytesIO(b"second content!"), "mf:///versions/notes.txt")
    assert three.action is None and three.quickkey == one.quickkey


def test_resumable_upload_of_40_mib(client):
    data = os.urandom(40 * MIB)
    digest = hashlib.sha256(data).hexdigest()
    client.create_folder("mf:///big", recursive=True)

    result = client.upload_file(io.BytesIO(data), "mf:///big/forty.bin")
    assert result.action == "upload/resumable"
    assert result.quickkey and len(result.quickkey) == 15
    assert result.hash_ == digest
    assert int(result.size) == 40 * MIB
    assert result.filename == "forty.bin"

    info = client.api.file_get_info(quick_key=result.quickkey)["file_info"]
    assert info["hash"] == digest
    assert int(info["size"]) == 40 * MIB
    assert info["filename"] == "forty.bin"
    resource = client.get_resource_by_uri("mf:///big/forty.bin")
    assert resource["quickkey"] == result.quickkey

    out = io.BytesIO()
    client.download_file("mf:///big/forty.bin", out)
    assert len(out.getvalue()) == 40 * MIB
    assert out.getvalue() == data


def test_poll_of_an_unknown_key(client):
    result = client.api.upload_poll("abcdefghijk")
    assert result["doupload"]["result"] == "-80"


def test_instant_of_unknown_content_is_an_error(client):
    with pytest.raises(MediaFireApiError):
        client.api.upload_instant("x.bin", 3, hashlib.sha256(b"not here").hexdigest())
