//! device/get_changes — the files and folders created, changed or removed in one window of
//! revisions after `revision` (spec/device.md: up to the next multiple of the block size).

use hearth_api::response::{Node, Obj};
use hearth_core::tree::TRASH_KEY;
use hearth_core::{time_fmt, Core};

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let caller = cx.caller()?;
    Core::check_device(cx.params.get("device_id"))?;
    let ch = cx.core.changes(caller, cx.params.get("revision")).await?;

    let mut folders: Vec<(i64, Obj)> = ch
        .updated_folders
        .iter()
        .map(|(f, parent)| {
            let o = Obj::new()
                .str("folderkey", hearth_core::tree::wire_key(f))
                .num("revision", f.revision)
                .str("parent_folderkey", parent.clone())
                .str("created", time_fmt::date_time(f.created_us));
            (f.revision, o)
        })
        .collect();
    if let Some(rev) = ch.trash_revision {
        // The trash pseudo-folder sits in the root; it has no creation date.
        let o = Obj::new()
            .str("folderkey", TRASH_KEY)
            .num("revision", rev)
            .str("parent_folderkey", "");
        folders.push((rev, o));
        folders.sort_by_key(|(rev, _)| *rev);
    }
    let files: Vec<Node> = ch
        .updated_files
        .iter()
        .map(|(f, parent)| {
            Node::Obj(
                Obj::new()
                    .str("quickkey", f.quickkey.clone())
                    .str("filename", f.name.clone())
                    .num("revision", f.revision)
                    .str("parent_folderkey", parent.clone())
                    .str("created", time_fmt::date_time(f.created_us)),
            )
        })
        .collect();

    let (mut deleted_files, mut deleted_folders) = (Vec::new(), Vec::new());
    for (kind, key, parent, rev) in &ch.deleted {
        let (name, list) = if kind == "file" {
            ("quickkey", &mut deleted_files)
        } else {
            ("folderkey", &mut deleted_folders)
        };
        list.push(Node::Obj(
            Obj::new()
                .str(name, key.clone())
                .num("revision", *rev)
                .str("parent_folderkey", parent.clone()),
        ));
    }

    let block = cx.core.settings().limits.device_changes_list_limit;
    Ok(Obj::new()
        .obj(
            "updated",
            Obj::new().list("files", files).list(
                "folders",
                folders.into_iter().map(|(_, o)| Node::Obj(o)).collect(),
            ),
        )
        .obj(
            "deleted",
            Obj::new()
                .list("files", deleted_files)
                .list("folders", deleted_folders),
        )
        .num("device_revision", ch.device_revision)
        .num("changes_list_block", block))
}
