//! One neutral response tree (object · list · string) and its two writers, JSON and XML.
//!
//! Field order, in both formats: `action`, the body fields in insertion order, then for errors
//! `message` and `error`, then `result`, `new_key` (only when the key rotated) and
//! `current_api_version`.

use std::borrow::Cow;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::{Map, Value};

use crate::calls::CURRENT_API_VERSION;
use crate::errors::{error_info, ApiError};

/// The `Content-Type` of JSON answers — exactly this, without a charset (PyPI `mediafire`
/// compares the header for equality).
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// The `Content-Type` of XML answers.
pub const XML_CONTENT_TYPE: &str = "text/xml";

/// The answer format a client asked for with `response_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    #[default]
    Xml,
    Json,
}

impl Format {
    /// `json` in any case → JSON; anything else, or nothing, → XML (MediaFire's default).
    pub fn from_param(value: Option<&str>) -> Format {
        match value {
            Some(v) if v.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Xml,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => XML_CONTENT_TYPE,
            Format::Json => JSON_CONTENT_TYPE,
        }
    }
}

/// A value in the response tree. Numbers and flags are strings on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Str(String),
    Obj(Obj),
    /// A list; in XML its items are written as the singular of the list's name.
    List(Vec<Node>),
}

impl From<String> for Node {
    fn from(v: String) -> Self {
        Node::Str(v)
    }
}

impl From<&str> for Node {
    fn from(v: &str) -> Self {
        Node::Str(v.to_owned())
    }
}

impl From<Obj> for Node {
    fn from(v: Obj) -> Self {
        Node::Obj(v)
    }
}

impl From<Vec<Node>> for Node {
    fn from(v: Vec<Node>) -> Self {
        Node::List(v)
    }
}

/// Integer types that [`Obj::num`] writes as decimal strings.
pub trait ApiNumber: std::fmt::Display {}
macro_rules! api_number {
    ($($t:ty),*) => { $(impl ApiNumber for $t {})* };
}
api_number!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// An ordered object: fields are written in insertion order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Obj(pub Vec<(String, Node)>);

impl Obj {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    /// Appends `key` with a string value.
    pub fn str(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(key, Node::Str(value.into()))
    }

    /// Appends `key` with an integer written as a decimal string.
    pub fn num(self, key: impl Into<String>, value: impl ApiNumber) -> Self {
        self.push(key, Node::Str(value.to_string()))
    }

    /// Appends `key` as `"yes"` or `"no"`.
    pub fn yes_no(self, key: impl Into<String>, value: bool) -> Self {
        self.str(key, if value { "yes" } else { "no" })
    }

    /// Appends a nested object.
    pub fn obj(self, key: impl Into<String>, value: Obj) -> Self {
        self.push(key, Node::Obj(value))
    }

    /// Appends a list (name it by its plural; see [`singular_of`]).
    pub fn list(self, key: impl Into<String>, items: Vec<Node>) -> Self {
        self.push(key, Node::List(items))
    }

    /// Appends `key` only when `value` is `Some`.
    pub fn opt_str(self, key: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.str(key, v),
            None => self,
        }
    }

    /// Appends any node.
    pub fn push(mut self, key: impl Into<String>, value: Node) -> Self {
        self.0.push((key.into(), value));
        self
    }

    /// Appends any node in place.
    pub fn insert(&mut self, key: impl Into<String>, value: Node) {
        self.0.push((key.into(), value));
    }

    /// The first field called `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `new_key` is true when a v2 secret key rotated with this answer.
    Success {
        new_key: bool,
    },
    Error {
        code: u16,
        message: String,
    },
}

/// A complete API answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `group/call`, exactly (fuse compares it).
    pub action: String,
    pub body: Obj,
    pub outcome: Outcome,
}

impl Envelope {
    pub fn success(action: impl Into<String>, body: Obj, new_key: bool) -> Self {
        Envelope {
            action: action.into(),
            body,
            outcome: Outcome::Success { new_key },
        }
    }

    /// An error answer; `body` may carry extra fields (e.g. `doupload`, `pkey`).
    pub fn error(action: impl Into<String>, error: &ApiError, body: Obj) -> Self {
        Envelope {
            action: action.into(),
            body,
            outcome: Outcome::Error {
                code: error.code,
                message: error.message.clone(),
            },
        }
    }

    /// 200 for success; the error table's status otherwise (900 for unknown codes).
    pub fn http_status(&self) -> u16 {
        match &self.outcome {
            Outcome::Success { .. } => 200,
            Outcome::Error { code, .. } => error_info(*code).map_or(900, |i| i.http_status),
        }
    }

    /// The answer bytes in `format`.
    pub fn render(&self, format: Format) -> Vec<u8> {
        match format {
            Format::Xml => to_xml(self),
            Format::Json => to_json(self),
        }
    }
}

/// Plural list names and the element name of their items in XML. One table for every list.
pub static SINGULARS: &[(&str, &str)] = &[
    ("async_job_types", "async_job_type"),
    ("chain_folders", "folder"),
    ("changes", "change"),
    ("contact_groups", "contact_group"),
    ("contacts", "contact"),
    ("devices", "device"),
    ("extensions", "extension"),
    ("file_infos", "file_info"),
    ("file_versions", "file_version"),
    ("folder_depths", "folder_depth"),
    ("files", "file"),
    ("folder_infos", "folder_info"),
    ("folders", "folder"),
    ("image_sizes", "image_size"),
    ("invoices", "invoice"),
    ("keys", "key"),
    ("links", "link"),
    ("mime_types", "mime_type"),
    ("new_folderkeys", "new_folderkey"),
    ("new_quickkeys", "new_quickkey"),
    ("notifications", "notification"),
    ("plans", "plan"),
    ("print_services", "print_service"),
    ("products", "product"),
    ("quickkeys", "quickkey"),
    ("resources", "resource"),
    ("results", "result"),
    ("shares", "share"),
    ("sources", "source"),
    ("updates", "update"),
    ("web_uploads", "web_upload"),
    ("words", "word"),
];

/// The XML item name for a list called `plural`, from [`SINGULARS`].
pub fn singular_of(plural: &str) -> Option<&'static str> {
    SINGULARS
        .iter()
        .find(|(p, _)| *p == plural)
        .map(|(_, s)| *s)
}

/// [`singular_of`], falling back to `plural` without a trailing `s` (or `item`).
pub fn singular_name(plural: &str) -> Cow<'_, str> {
    if let Some(s) = singular_of(plural) {
        return Cow::Borrowed(s);
    }
    match plural.strip_suffix('s') {
        Some(s) if !s.is_empty() => Cow::Borrowed(s),
        _ => Cow::Borrowed("item"),
    }
}

/// The fields after the body, in wire order, with `error` kept apart (it is a JSON number).
fn trailer(e: &Envelope) -> (Option<(&str, u16)>, bool) {
    match &e.outcome {
        Outcome::Success { new_key } => (None, *new_key),
        Outcome::Error { code, message } => (Some((message.as_str(), *code)), false),
    }
}

fn result_text(e: &Envelope) -> &'static str {
    match e.outcome {
        Outcome::Success { .. } => "Success",
        Outcome::Error { .. } => "Error",
    }
}

fn json_value(node: &Node) -> Value {
    match node {
        Node::Str(s) => Value::String(s.clone()),
        Node::Obj(obj) => Value::Object(json_object(obj)),
        Node::List(items) => Value::Array(items.iter().map(json_value).collect()),
    }
}

fn json_object(obj: &Obj) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in &obj.0 {
        map.insert(k.clone(), json_value(v));
    }
    map
}

/// `{"response":{…}}`: every value a string except the integer `error`; lists are arrays.
pub fn to_json(e: &Envelope) -> Vec<u8> {
    let mut map = Map::new();
    map.insert("action".into(), Value::String(e.action.clone()));
    for (k, v) in &e.body.0 {
        map.insert(k.clone(), json_value(v));
    }
    let (error, new_key) = trailer(e);
    if let Some((message, code)) = error {
        map.insert("message".into(), Value::String(message.to_owned()));
        map.insert("error".into(), Value::from(code));
    }
    map.insert("result".into(), Value::String(result_text(e).into()));
    if new_key {
        map.insert("new_key".into(), Value::String("yes".into()));
    }
    map.insert(
        "current_api_version".into(),
        Value::String(CURRENT_API_VERSION.into()),
    );
    let mut root = Map::new();
    root.insert("response".into(), Value::Object(map));
    // Serializing a Value with string keys cannot fail.
    serde_json::to_vec(&Value::Object(root)).unwrap_or_default()
}

/// Replaces characters that XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE;
/// U+FFFF) with U+FFFD.
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    fn illegal(c: char) -> bool {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
    }
    if text.chars().any(illegal) {
        Cow::Owned(
            text.chars()
                .map(|c| if illegal(c) { '\u{fffd}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Escapes `&`, `<`, `>` (quick-xml's partial escape) and `"`; apostrophes stay literal.
fn xml_text(text: &str) -> String {
    let safe = xml_safe(text);
    let escaped = quick_xml::escape::partial_escape(safe.as_ref());
    if escaped.contains('"') {
        escaped.replace('"', "&quot;")
    } else {
        escaped.into_owned()
    }
}

type XmlWriter = Writer<Vec<u8>>;
type XmlResult = std::io::Result<()>;

fn xml_str(w: &mut XmlWriter, name: &str, text: &str) -> XmlResult {
    w.write_event(Event::Start(BytesStart::new(name)))?;
    let escaped = xml_text(text);
    if !escaped.is_empty() {
        w.write_event(Event::Text(BytesText::from_escaped(escaped)))?;
    }
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn xml_node(w: &mut XmlWriter, name: &str, node: &Node) -> XmlResult {
    match node {
        Node::Str(s) => xml_str(w, name, s),
        Node::Obj(obj) if obj.is_empty() => w.write_event(Event::Empty(BytesStart::new(name))),
        Node::Obj(obj) => {
            w.write_event(Event::Start(BytesStart::new(name)))?;
            xml_fields(w, obj)?;
            w.write_event(Event::End(BytesEnd::new(name)))
        }
        Node::List(items) if items.is_empty() => w.write_event(Event::Empty(BytesStart::new(name))),
        Node::List(items) => {
            let item_name = singular_name(name);
            w.write_event(Event::Start(BytesStart::new(name)))?;
            for item in items {
                xml_node(w, &item_name, item)?;
            }
            w.write_event(Event::End(BytesEnd::new(name)))
        }
    }
}

fn xml_fields(w: &mut XmlWriter, obj: &Obj) -> XmlResult {
    for (k, v) in &obj.0 {
        xml_node(w, k, v)?;
    }
    Ok(())
}

fn write_xml(w: &mut XmlWriter, e: &Envelope) -> XmlResult {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.get_mut().push(b'\n');
    w.write_event(Event::Start(BytesStart::new("response")))?;
    xml_str(w, "action", &e.action)?;
    xml_fields(w, &e.body)?;
    let (error, new_key) = trailer(e);
    if let Some((message, code)) = error {
        xml_str(w, "message", message)?;
        xml_str(w, "error", &code.to_string())?;
    }
    xml_str(w, "result", result_text(e))?;
    if new_key {
        xml_str(w, "new_key", "yes")?;
    }
    xml_str(w, "current_api_version", CURRENT_API_VERSION)?;
    w.write_event(Event::End(BytesEnd::new("response")))
}

/// `<?xml …?>` + newline + compact `<response>…</response>`; lists as plural elements with
/// singular children, an empty list as `<x/>`.
pub fn to_xml(e: &Envelope) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = write_xml(&mut w, e);
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(e: &Envelope) -> String {
        String::from_utf8(to_xml(e)).unwrap()
    }

    fn json(e: &Envelope) -> String {
        String::from_utf8(to_json(e)).unwrap()
    }

    #[test]
    fn every_singular_maps() {
        for (plural, singular) in SINGULARS {
            assert_eq!(singular_of(plural), Some(*singular));
            assert_eq!(singular_name(plural), *singular);
            assert_ne!(plural, singular);
        }
        let mut names: Vec<&str> = SINGULARS.iter().map(|(p, _)| *p).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SINGULARS.len(), "a plural is listed twice");
        assert_eq!(singular_of("files"), Some("file"));
        assert_eq!(singular_of("chain_folders"), Some("folder"));
        assert_eq!(singular_of("new_folderkeys"), Some("new_folderkey"));
        assert_eq!(singular_of("gizmos"), None);
        assert_eq!(singular_name("gizmos"), "gizmo");
        assert_eq!(singular_name("data"), "item");
    }

    #[test]
    fn format_param() {
        assert_eq!(Format::from_param(None), Format::Xml);
        assert_eq!(Format::from_param(Some("json")), Format::Json);
        assert_eq!(Format::from_param(Some("JSON")), Format::Json);
        assert_eq!(Format::from_param(Some("Json")), Format::Json);
        assert_eq!(Format::from_param(Some("xml")), Format::Xml);
        assert_eq!(Format::from_param(Some("")), Format::Xml);
        assert_eq!(Format::from_param(Some("jsonp")), Format::Xml);
        assert_eq!(Format::Json.content_type(), "application/json");
        assert_eq!(Format::Xml.content_type(), "text/xml");
    }

    #[test]
    fn xml_escaping() {
        let e = Envelope::success(
            "file/get_info",
            Obj::new().str("filename", "a&b <c> \"d\" it's\u{1}\u{ffff}é\t"),
            false,
        );
        let out = xml(&e);
        assert!(
            out.contains(
                "<filename>a&amp;b &lt;c&gt; &quot;d&quot; it's\u{fffd}\u{fffd}é\t</filename>"
            ),
            "{out}"
        );
        assert!(!out.contains("CDATA"));
        // JSON keeps the original characters.
        let back: Value = serde_json::from_slice(&to_json(&e)).unwrap();
        assert_eq!(
            back["response"]["filename"],
            "a&b <c> \"d\" it's\u{1}\u{ffff}é\t"
        );
    }

    #[test]
    fn xml_parses_back() {
        let e = Envelope::success(
            "folder/get_content",
            Obj::new().obj(
                "folder_content",
                Obj::new()
                    .list(
                        "files",
                        vec![Obj::new()
                            .str("quickkey", "abc")
                            .str("filename", "x&y")
                            .into()],
                    )
                    .list("folders", vec![])
                    .str("empty", ""),
            ),
            true,
        );
        let out = to_xml(&e);
        let mut reader = quick_xml::Reader::from_reader(out.as_slice());
        let mut buf = Vec::new();
        let mut names = Vec::new();
        loop {
            match reader.read_event_into(&mut buf).unwrap() {
                Event::Eof => break,
                Event::Start(s) | Event::Empty(s) => {
                    names.push(String::from_utf8(s.name().as_ref().to_vec()).unwrap())
                }
                Event::Text(t) => {
                    let t = t.unescape().unwrap();
                    if t.trim() == "x&y" {
                        names.push("TEXT x&y".into());
                    }
                }
                _ => {}
            }
            buf.clear();
        }
        assert_eq!(
            names,
            [
                "response",
                "action",
                "folder_content",
                "files",
                "file",
                "quickkey",
                "filename",
                "TEXT x&y",
                "folders",
                "empty",
                "result",
                "new_key",
                "current_api_version"
            ]
        );
    }

    #[test]
    fn json_types_and_order() {
        let err = ApiError::new(105);
        let e = Envelope::error("user/get_info", &err, Obj::new().str("pkey", "abc"));
        assert_eq!(
            json(&e),
            r#"{"response":{"action":"user/get_info","pkey":"abc","message":"The supplied Session Token is expired or invalid","error":105,"result":"Error","current_api_version":"1.5"}}"#
        );
        assert_eq!(e.http_status(), 403);
        let ok = Envelope::success(
            "x/y",
            Obj::new().num("a", 1u64).num("b", -2i64).yes_no("c", false),
            false,
        );
        assert_eq!(
            json(&ok),
            r#"{"response":{"action":"x/y","a":"1","b":"-2","c":"no","result":"Success","current_api_version":"1.5"}}"#
        );
        assert_eq!(ok.http_status(), 200);
    }

    #[test]
    fn error_never_has_new_key() {
        let e = Envelope::error("a/b", &ApiError::new(127), Obj::new());
        assert!(!json(&e).contains("new_key"));
        assert!(!xml(&e).contains("new_key"));
    }

    #[test]
    fn list_of_strings_and_lists() {
        let e = Envelope::success(
            "x/y",
            Obj::new().obj(
                "bitmap",
                Obj::new().str("count", "1").list("words", vec!["7".into()]),
            ),
            false,
        );
        assert!(xml(&e).contains("<bitmap><count>1</count><words><word>7</word></words></bitmap>"));
        assert!(json(&e).contains(r#""bitmap":{"count":"1","words":["7"]}"#));
    }

    #[test]
    fn xml_exact_bytes() {
        let e = Envelope::success(
            "system/get_version",
            Obj::new().str("version", "1.5"),
            false,
        );
        assert_eq!(
            xml(&e),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><action>system/get_version</action>\
             <version>1.5</version><result>Success</result>\
             <current_api_version>1.5</current_api_version></response>"
        );
    }

    #[test]
    fn render_matches_writers() {
        let e = Envelope::success("x/y", Obj::new(), false);
        assert_eq!(e.render(Format::Json), to_json(&e));
        assert_eq!(e.render(Format::Xml), to_xml(&e));
    }
}
