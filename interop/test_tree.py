"""The resource tree through the real PyPI `mediafire==0.6.1` client (package unedited).

Creates folders by path, iterates a folder of 250 entries with the SDK's own paging, updates,
moves, copies, deletes and purges, and reads device/get_changes through the SDK's generic
`MediaFireApi.request()` after each mutation.
"""

import pytest
from mediafire.api import MediaFireApiError
from mediafire.client import Folder, MediaFireClient, ResourceNotFoundError


@pytest.fixture
def client(mf_api, server):
    c = MediaFireClient(_api=lambda: mf_api)
    c.login(email=server.email, password=server.password, app_id=server.app_id)
    return c


def changes_since(client, revision):
    """device/get_changes through the generic request(); returns (revision, updated keys, deleted keys)."""
    r = client.api.request("device/get_changes", {"revision": str(revision)})
    updated = {f["folderkey"] for f in r["updated"]["folders"]} | {
        f["quickkey"] for f in r["updated"]["files"]
    }
    deleted = {f["folderkey"] for f in r["deleted"]["folders"]} | {
        f["quickkey"] for f in r["deleted"]["files"]
    }
    return int(r["device_revision"]), updated, deleted


def status_revision(client):
    return int(client.api.request("device/get_status")["device_revision"])


def test_create_folders_by_path(client):
    created = client.create_folder("mf:///interop/a/b", recursive=True)
    assert isinstance(created, Folder)
    again = client.get_resource_by_uri("mf:///interop/a/b")
    assert again["folderkey"] == created["folderkey"]
    assert again["name"] == "b"
    # Creating it again returns the same folder (action_on_duplicate=skip).
    assert client.create_folder("mf:///interop/a/b")["folderkey"] == created["folderkey"]
    root = client.get_resource_by_uri("mf:///")
    assert root["folderkey"] == "myfiles"
    assert "parent_folderkey" not in root


def test_iterate_a_folder_of_250_entries(client):
    many = client.create_folder("mf:///many", recursive=True)
    names = [f"entry-{i:03}" for i in range(250)]
    for name in names:
        client.api.folder_create(name, parent_key=many["folderkey"])
    listed = [item["name"] for item in client.get_folder_contents_iter("mf:///many")]
    assert listed == names


def test_update_move_copy_delete_purge_with_changes(client):
    base = status_revision(client)
    src = client.create_folder("mf:///work/src", recursive=True)
    dst = client.create_folder("mf:///work/dst", recursive=True)
    rev, updated, _ = changes_since(client, base)
    assert {src["folderkey"], dst["folderkey"]} <= updated
    assert rev == status_revision(client)

    # Update (rename, description, privacy) through the SDK.
    before = rev
    client.update_folder_metadata("mf:///work/src", foldername="source", description="d", privacy="public")
    info = client.api.folder_get_info(src["folderkey"])["folder_info"]
    assert (info["name"], info["description"], info["privacy"]) == ("source", "d", "public")
    rev, updated, _ = changes_since(client, before)
    assert rev == before + 1 and src["folderkey"] in updated

    # Move through the SDK, copy through the generic request().
    before = rev
    client.api.folder_move(src["folderkey"], dst["folderkey"])
    moved = client.get_resource_by_uri("mf:///work/dst/source")
    assert moved["folderkey"] == src["folderkey"]
    rev, updated, _ = changes_since(client, before)
    assert {src["folderkey"], dst["folderkey"]} <= updated

    before = rev
    copy = client.api.request(
        "folder/copy", {"folder_key_src": src["folderkey"], "folder_key_dst": "myfiles"}
    )
    (new_key,) = copy["new_folderkeys"]
    assert client.get_resource_by_uri("mf:///source")["folderkey"] == new_key
    rev, updated, _ = changes_since(client, before)
    assert new_key in updated

    # Delete to the trash, then purge.
    before = rev
    client.delete_folder("mf:///source")
    with pytest.raises(ResourceNotFoundError):
        client.get_resource_by_uri("mf:///source")
    rev, updated, _ = changes_since(client, before)
    assert new_key in updated and "trash" in updated

    before = rev
    client.api.folder_purge(new_key)
    with pytest.raises(MediaFireApiError) as err:
        client.api.folder_get_info(new_key)
    assert err.value.code == 112
    rev, _, deleted = changes_since(client, before)
    assert new_key in deleted
