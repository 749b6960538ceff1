//! The server's MIME table: extension, MIME type, filetype category, viewer and editor ids
//! (spec/system.md). Downloads take their Content-Type from here too.

use std::collections::BTreeMap;

use hearth_api::response::{Node, Obj};

use crate::handlers::{Ctx, Reply};

pub struct MimeEntry {
    pub extension: &'static str,
    pub mimetype: &'static str,
    pub filetype: &'static str,
    /// 0 none, 1 pdf2html, 2 pdf.js, 3 Zoho
    pub view: u8,
    /// 0 none, 1 Ace, 2 Zoho
    pub edit: u8,
}

macro_rules! mime {
    ($($ext:literal $mime:literal $ft:literal $view:literal $edit:literal;)*) => {
        &[$(MimeEntry { extension: $ext, mimetype: $mime, filetype: $ft, view: $view, edit: $edit }),*]
    };
}

pub const MIME_TABLE: &[MimeEntry] = mime! {
    "7z" "application/x-7z-compressed" "archive" 0 0;
    "aac" "audio/aac" "audio" 0 0;
    "avi" "video/x-msvideo" "video" 0 0;
    "bmp" "image/bmp" "image" 0 0;
    "c" "text/x-c" "development" 0 1;
    "cpp" "text/x-c++" "development" 0 1;
    "css" "text/css" "development" 0 1;
    "csv" "text/csv" "spreadsheet" 0 1;
    "doc" "application/msword" "document" 1 0;
    "docx" "application/vnd.openxmlformats-officedocument.wordprocessingml.document" "document" 1 0;
    "flac" "audio/flac" "audio" 0 0;
    "gif" "image/gif" "image" 0 0;
    "gz" "application/gzip" "archive" 0 0;
    "h" "text/x-c" "development" 0 1;
    "htm" "text/html" "development" 0 1;
    "html" "text/html" "development" 0 1;
    "ico" "image/x-icon" "image" 0 0;
    "java" "text/x-java-source" "development" 0 1;
    "jpeg" "image/jpeg" "image" 0 0;
    "jpg" "image/jpeg" "image" 0 0;
    "js" "text/javascript" "development" 0 1;
    "json" "application/json" "data" 0 1;
    "m4a" "audio/mp4" "audio" 0 0;
    "md" "text/markdown" "document" 0 1;
    "mkv" "video/x-matroska" "video" 0 0;
    "mov" "video/quicktime" "video" 0 0;
    "mp3" "audio/mpeg" "audio" 0 0;
    "mp4" "video/mp4" "video" 0 0;
    "odp" "application/vnd.oasis.opendocument.presentation" "presentation" 1 0;
    "ods" "application/vnd.oasis.opendocument.spreadsheet" "spreadsheet" 1 0;
    "odt" "application/vnd.oasis.opendocument.text" "document" 1 0;
    "ogg" "audio/ogg" "audio" 0 0;
    "pdf" "application/pdf" "document" 2 0;
    "php" "text/x-php" "development" 0 1;
    "png" "image/png" "image" 0 0;
    "ppt" "application/vnd.ms-powerpoint" "presentation" 1 0;
    "pptx" "application/vnd.openxmlformats-officedocument.presentationml.presentation" "presentation" 1 0;
    "py" "text/x-python" "development" 0 1;
    "rar" "application/vnd.rar" "archive" 0 0;
    "rs" "text/x-rust" "development" 0 1;
    "rtf" "application/rtf" "document" 1 0;
    "sh" "application/x-sh" "development" 0 1;
    "svg" "image/svg+xml" "image" 0 0;
    "tar" "application/x-tar" "archive" 0 0;
    "tif" "image/tiff" "image" 0 0;
    "tiff" "image/tiff" "image" 0 0;
    "txt" "text/plain" "document" 0 1;
    "wav" "audio/wav" "audio" 0 0;
    "webm" "video/webm" "video" 0 0;
    "webp" "image/webp" "image" 0 0;
    "xls" "application/vnd.ms-excel" "spreadsheet" 1 0;
    "xlsx" "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" "spreadsheet" 1 0;
    "xml" "application/xml" "data" 0 1;
    "yaml" "application/yaml" "data" 0 1;
    "zip" "application/zip" "archive" 0 0;
};

/// The MIME type for a file name, `application/octet-stream` when unknown.
pub fn mime_for(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    ext.and_then(|e| MIME_TABLE.iter().find(|m| m.extension == e))
        .map_or("application/octet-stream", |m| m.mimetype)
}

pub fn extensions<'a>(entries: impl Iterator<Item = &'a MimeEntry>) -> Vec<String> {
    entries.map(|m| m.extension.to_string()).collect()
}

/// `{ <key>: { extensions: [...] } }`, or with `group_by_filetype=yes` one list per category.
pub fn extensions_reply(cx: &Ctx<'_>, key: &str, pred: fn(&MimeEntry) -> bool) -> Reply {
    let grouped = cx.params.yes_no("group_by_filetype")?.unwrap_or(false);
    let selected = MIME_TABLE.iter().filter(|m| pred(m));
    let body = if grouped {
        let mut groups: BTreeMap<&str, Vec<Node>> = BTreeMap::new();
        for m in selected {
            groups
                .entry(m.filetype)
                .or_default()
                .push(Node::Str(m.extension.to_string()));
        }
        groups.into_iter().fold(Obj::new(), |o, (ft, exts)| {
            o.obj(ft, Obj::new().list("extensions", exts))
        })
    } else {
        Obj::new().list(
            "extensions",
            extensions(selected).into_iter().map(Node::Str).collect(),
        )
    };
    Ok(Obj::new().obj(key, body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_is_sorted_and_unique() {
        let exts: Vec<_> = super::MIME_TABLE.iter().map(|m| m.extension).collect();
        let mut sorted = exts.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(exts, sorted);
        assert_eq!(super::mime_for("a.JPG"), "image/jpeg");
        assert_eq!(super::mime_for("noext"), "application/octet-stream");
    }
}
