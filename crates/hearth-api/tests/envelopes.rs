//! Golden envelopes: the exact XML and JSON bytes of representative answers.

use hearth_api::response::{to_json, to_xml, Envelope, Node, Obj};
use hearth_api::{codes, ApiError};
use insta::assert_snapshot;

fn xml(e: &Envelope) -> String {
    String::from_utf8(to_xml(e)).expect("XML is UTF-8")
}

fn json(e: &Envelope) -> String {
    String::from_utf8(to_json(e)).expect("JSON is UTF-8")
}

fn permissions() -> Obj {
    Obj::new()
        .num("value", 1u32)
        .num("explicit", 0u32)
        .num("read", 1u32)
        .num("write", 0u32)
}

#[test]
fn success_with_nested_object() {
    let e = Envelope::success(
        "file/get_info",
        Obj::new().obj(
            "file_info",
            Obj::new()
                .str("quickkey", "lrryifc0vut4jl6")
                .str("filename", "Tom & Jerry <\"best\"> it's.txt")
                .num("size", 3771u64)
                .yes_no("password_protected", false)
                .obj("permissions", permissions())
                .obj(
                    "links",
                    Obj::new().str(
                        "normal_download",
                        "https://www.mediafire.com/file/lrryifc0vut4jl6/Tom_Jerry.txt/file",
                    ),
                ),
        ),
        false,
    );
    assert_snapshot!(xml(&e), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <response><action>file/get_info</action><file_info><quickkey>lrryifc0vut4jl6</quickkey><filename>Tom &amp; Jerry &lt;&quot;best&quot;&gt; it's.txt</filename><size>3771</size><password_protected>no</password_protected><permissions><value>1</value><explicit>0</explicit><read>1</read><write>0</write></permissions><links><normal_download>https://www.mediafire.com/file/lrryifc0vut4jl6/Tom_Jerry.txt/file</normal_download></links></file_info><result>Success</result><current_api_version>1.5</current_api_version></response>
    "#);
    assert_snapshot!(json(&e), @r#"{"response":{"action":"file/get_info","file_info":{"quickkey":"lrryifc0vut4jl6","filename":"Tom & Jerry <\"best\"> it's.txt","size":"3771","password_protected":"no","permissions":{"value":"1","explicit":"0","read":"1","write":"0"},"links":{"normal_download":"https://www.mediafire.com/file/lrryifc0vut4jl6/Tom_Jerry.txt/file"}},"result":"Success","current_api_version":"1.5"}}"#);
}

#[test]
fn error_110() {
    let e = Envelope::error(
        "file/get_info",
        &ApiError::new(codes::INVALID_QUICKKEY),
        Obj::new(),
    );
    assert_eq!(e.http_status(), 404);
    assert_snapshot!(xml(&e), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <response><action>file/get_info</action><message>Unknown or Invalid QuickKey</message><error>110</error><result>Error</result><current_api_version>1.5</current_api_version></response>
    "#);
    assert_snapshot!(json(&e), @r#"{"response":{"action":"file/get_info","message":"Unknown or Invalid QuickKey","error":110,"result":"Error","current_api_version":"1.5"}}"#);
}

#[test]
fn empty_list() {
    let e = Envelope::success(
        "folder/get_content",
        Obj::new().yes_no("asynchronous", false).obj(
            "folder_content",
            Obj::new()
                .num("chunk_size", 100u32)
                .str("content_type", "files")
                .num("chunk_number", 1u32)
                .str("folderkey", "gtrp6u25m6nmb")
                .list("files", vec![])
                .yes_no("more_chunks", false)
                .num("revision", 1502u64),
        ),
        false,
    );
    assert_snapshot!(xml(&e), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <response><action>folder/get_content</action><asynchronous>no</asynchronous><folder_content><chunk_size>100</chunk_size><content_type>files</content_type><chunk_number>1</chunk_number><folderkey>gtrp6u25m6nmb</folderkey><files/><more_chunks>no</more_chunks><revision>1502</revision></folder_content><result>Success</result><current_api_version>1.5</current_api_version></response>
    "#);
    assert_snapshot!(json(&e), @r#"{"response":{"action":"folder/get_content","asynchronous":"no","folder_content":{"chunk_size":"100","content_type":"files","chunk_number":"1","folderkey":"gtrp6u25m6nmb","files":[],"more_chunks":"no","revision":"1502"},"result":"Success","current_api_version":"1.5"}}"#);
}

#[test]
fn non_empty_lists() {
    let e = Envelope::success(
        "folder/copy",
        Obj::new()
            .list(
                "new_folderkeys",
                vec![Node::from("8adbweycihdkd"), Node::from("34gxd4kmqz5nn")],
            )
            .list(
                "folders",
                vec![Obj::new()
                    .str("folderkey", "34gxd4kmqz5nn")
                    .str("name", "InnerFolder")
                    .into()],
            )
            .yes_no("asynchronous", false)
            .num("new_device_revision", 42u64),
        false,
    );
    assert_snapshot!(xml(&e), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <response><action>folder/copy</action><new_folderkeys><new_folderkey>8adbweycihdkd</new_folderkey><new_folderkey>34gxd4kmqz5nn</new_folderkey></new_folderkeys><folders><folder><folderkey>34gxd4kmqz5nn</folderkey><name>InnerFolder</name></folder></folders><asynchronous>no</asynchronous><new_device_revision>42</new_device_revision><result>Success</result><current_api_version>1.5</current_api_version></response>
    "#);
    assert_snapshot!(json(&e), @r#"{"response":{"action":"folder/copy","new_folderkeys":["8adbweycihdkd","34gxd4kmqz5nn"],"folders":[{"folderkey":"34gxd4kmqz5nn","name":"InnerFolder"}],"asynchronous":"no","new_device_revision":"42","result":"Success","current_api_version":"1.5"}}"#);
}

#[test]
fn success_with_new_key() {
    let e = Envelope::success(
        "user/get_action_token",
        Obj::new().str("action_token", "d5e2e825b92d6d5227ddef336b6d9421e1c389"),
        true,
    );
    assert_snapshot!(xml(&e), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <response><action>user/get_action_token</action><action_token>d5e2e825b92d6d5227ddef336b6d9421e1c389</action_token><result>Success</result><new_key>yes</new_key><current_api_version>1.5</current_api_version></response>
    "#);
    assert_snapshot!(json(&e), @r#"{"response":{"action":"user/get_action_token","action_token":"d5e2e825b92d6d5227ddef336b6d9421e1c389","result":"Success","new_key":"yes","current_api_version":"1.5"}}"#);
}

#[test]
fn error_with_body_and_limit() {
    let e = Envelope::error(
        "folder/create",
        &ApiError::with_limit(codes::FOLDER_DEPTH_LIMIT, 100),
        Obj::new().str("pkey", "09b3b02524"),
    );
    assert_eq!(e.http_status(), 403);
    assert_snapshot!(xml(&e), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <response><action>folder/create</action><pkey>09b3b02524</pkey><message>Maximum depth of folder reached. Cannot add more than 100 nested folders</message><error>167</error><result>Error</result><current_api_version>1.5</current_api_version></response>
    "#);
    assert_snapshot!(json(&e), @r#"{"response":{"action":"folder/create","pkey":"09b3b02524","message":"Maximum depth of folder reached. Cannot add more than 100 nested folders","error":167,"result":"Error","current_api_version":"1.5"}}"#);
}
