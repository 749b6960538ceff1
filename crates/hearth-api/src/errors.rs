//! The error-code table: every MediaFire error code once, with its wire name, the message
//! clients see, and the HTTP status the envelope is sent with.

use std::fmt;

/// One row of the error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: u16,
    /// MediaFire's constant, e.g. `ERROR_INVALID_QUICKKEY`.
    pub name: &'static str,
    /// The wire message. Codes with a configurable limit carry one `{}` placeholder
    /// (see [`ApiError::with_limit`]).
    pub message: &'static str,
    pub http_status: u16,
}

const fn e(code: u16, name: &'static str, message: &'static str, http_status: u16) -> ErrorInfo {
    ErrorInfo {
        code,
        name,
        message,
        http_status,
    }
}

/// The placeholder for a configured limit inside a message template.
pub const LIMIT_PLACEHOLDER: &str = "{}";

/// What [`ApiError::new`] puts where a template expects a limit: the seed's own `X`.
const UNFILLED_LIMIT: &str = "X";

/// Every error code, sorted by code. Messages are the seed's, without the trailing period
/// (the captured wire messages of 104, 105, 110, 112, 114 and 243 carry none).
pub static ERRORS: &[ErrorInfo] = &[
    e(100, "ERROR_INTERNAL", "Internal server error", 900),
    e(101, "ERROR_USER_ERROR", "User error", 400),
    e(102, "ERROR_MISSING_KEY", "API Key is missing", 403),
    e(103, "ERROR_INVALID_KEY", "The supplied API Key is invalid", 403),
    e(104, "ERROR_MISSING_TOKEN", "Session Token is missing", 403),
    e(105, "ERROR_INVALID_TOKEN", "The supplied Session Token is expired or invalid", 403),
    e(106, "ERROR_CHANGE_EXTENSION", "You cannot change the file extension by changing the file name", 400),
    e(107, "ERROR_INVALID_CREDENTIALS", "The Credentials you entered are invalid", 403),
    e(108, "ERROR_INVALID_USER", "Unknown or invalid user", 403),
    e(109, "ERROR_INVALID_APPID", "Unknown or invalid Application ID", 403),
    e(110, "ERROR_INVALID_QUICKKEY", "Unknown or Invalid QuickKey", 404),
    e(111, "ERROR_MISSING_QUICKKEY", "Quick Key is missing", 400),
    e(112, "ERROR_INVALID_FOLDERKEY", "Unknown or invalid FolderKey", 404),
    e(113, "ERROR_MISSING_FOLDERKEY", "Folder Key is missing", 400),
    e(114, "ERROR_ACCESS_DENIED", "Access denied", 403),
    e(115, "ERROR_FOLDER_PATH_CONFLICT", "Cannot move/copy a Folder to itself or to one of its Sub-Folders", 400),
    e(116, "ERROR_INVALID_DATE", "The date specified is not valid", 400),
    e(117, "ERROR_MISSING_FOLDERNAME", "Folder Name is missing", 400),
    e(118, "ERROR_INVALID_FILENAME", "The File Name specified is invalid", 400),
    e(119, "ERROR_NO_MF_EMAIL", "You cannot register a Mediafire.com email address", 400),
    e(120, "ERROR_EMAIL_TAKEN", "The email address you specified is already in use", 400),
    e(121, "ERROR_EMAIL_REJECTED", "The email address you specified is found to be rejected/bounced", 400),
    e(122, "ERROR_EMAIL_MISFORMATTED", "The email address you specified is misformatted", 400),
    e(123, "ERROR_PASSWORD_MISFORMATTED", "The password you specified is misformatted", 400),
    e(124, "ERROR_API_VERSION_MISSING", "The API Version is missing", 400),
    e(125, "ERROR_OLD_API_VERSION", "The API version specified or the API Library is old for this call. Please Specify a higher API version or update your API Library", 400),
    e(126, "ERROR_API_CALL_DEPRECATED", "This API call has been deprecated for the API version specified or the API Library. Please refer to the API documentation for alternative calls", 400),
    e(127, "ERROR_INVALID_SIGNATURE", "The signature you specified is invalid", 403),
    e(128, "ERROR_MISSING_PARAMS", "Required parameters for this request are missing", 400),
    e(129, "ERROR_INVALID_PARAMS", "One or more parameters for this request are invalid", 400),
    e(130, "ERROR_NON_PRO_LIMIT_REACHED", "Non premium account limitation reached", 403),
    e(131, "ERROR_ADD_OWNED_FOLDER", "Cannot add a shared folder to its owner's account", 400),
    e(132, "ERROR_REMOVE_OWNED_FOLDER", "Cannot remove a shared folder from its owner's account", 400),
    e(133, "ERROR_ADD_ANON_FOLDER", "Cannot add a shared folder from an anonymous account", 400),
    e(134, "ERROR_DMCA_INVALID_USER", "The user specified in the DMCA request is invalid", 403),
    e(135, "ERROR_DMCA_INVALID_RANGE", "The range specified in the DMCA request is invalid", 400),
    e(136, "ERROR_DMCA_BAN", "This account has been banned because of DMCA complaints", 403),
    e(137, "ERROR_CONTACT_ALREADY_EXISTS", "This contact already exists in the user's contact list", 400),
    e(138, "ERROR_CONTACT_DOES_NOT_EXIST", "This contact does not exist", 404),
    e(139, "ERROR_CONTACT_GROUP_EXISTS", "This group already exists in the user's contact list", 400),
    e(140, "ERROR_UNKNOWN_CONTACT_GROUP", "This group does not exist", 404),
    e(141, "ERROR_UNKNOWN_DEVICE", "Unknown or invalid device", 404),
    e(142, "ERROR_INVALID_FILE_TYPE", "Unsupported or invalid file type", 400),
    e(143, "ERROR_FILE_ALREADY_EXISTS", "This file already exists", 400),
    e(144, "ERROR_FOLDER_ALREADY_EXISTS", "This folder already exists", 400),
    e(145, "ERROR_APPLICATION_DISABLED", "The application trying to access the API is disabled", 403),
    e(146, "ERROR_APPLICATION_SUSPENDED", "The application trying to access the API is suspended", 403),
    e(147, "ERROR_ZIP_MULTIPLE_OWNERS", "Bulk downloading from multiple file owners is currently not supported", 400),
    e(148, "ERROR_ZIP_NON_PRO_DOWNLOAD", "Bulk download requires the file owner or the downloader to be premium", 403),
    e(149, "ERROR_ZIP_OWNER_NOT_PRO", "The owner of the files is not a premium user. You need to confirm the download using your own bandwidth", 403),
    e(150, "ERROR_ZIP_FILE_TOO_BIG", "One or more files are too large to be included. Files must be {} MB or less in order to be included in the zip file", 403),
    e(151, "ERROR_ZIP_NO_FILES_SELECTED", "The item you selected contained no files. You must select at least one file to zip", 400),
    e(152, "ERROR_ZIP_NO_FILES_ZIPPED", "None of the selected files were able to be zipped at this time", 400),
    e(153, "ERROR_ZIP_TOTAL_SIZE_TOO_BIG", "The total size of the zip file is larger than {} MB. You need to confirm the download", 403),
    e(154, "ERROR_ZIP_NUM_FILES_EXCEEDED", "Maximum number of files reached. Cannot add more than {} files", 403),
    e(155, "ERROR_ZIP_OWNER_INSUFFICIENT_BANDWIDTH", "The files owner does not have enough bandwidth to download the zip file. You need to confirm the download using your own bandwidth", 403),
    e(156, "ERROR_ZIP_REQUESTER_INSUFFICIENT_BANDWIDTH", "You do not have enough bandwidth to download the zip file", 403),
    e(157, "ERROR_ZIP_ALL_INSUFFICIENT_BANDWIDTH", "Neither the owner of the files nor you have enough bandwidth to download the zip file", 403),
    e(158, "ERROR_FILE_EXISTS", "This file exists already", 400),
    e(159, "ERROR_FOLDER_EXISTS", "This folder exists already", 400),
    e(160, "ERROR_INVALID_ACCEPTANCE_TOKEN", "The Terms of Service acceptance token is invalid", 403),
    e(161, "ERROR_USER_MUST_ACCEPT_TOS", "You must accept the latest Terms of Service", 403),
    e(162, "ERROR_LIMIT_EXCEEDED", "The file(s)/folder(s) you upload/copy exceed your total storage limit", 403),
    e(163, "ERROR_ACCESS_LIMIT_REACHED", "You have reached the limit accessing the API. Please try again later", 403),
    e(164, "ERROR_DMCA_ALREADY_REPORTED", "These files have already been reported", 400),
    e(165, "ERROR_DMCA_ALREADY_REMOVED", "These files no longer exist in our system", 404),
    e(166, "ERROR_ADD_PRIVATE_FOLDER", "Cannot add a private folder to an account", 403),
    e(167, "ERROR_FOLDER_DEPTH_LIMIT", "Maximum depth of folder reached. Cannot add more than {} nested folders", 403),
    e(168, "ERROR_INVALID_PRODUCT_ID", "Invalid Product Id", 404),
    e(169, "ERROR_UPLOAD_FAILED", "Upload Failed", 400),
    e(170, "ERROR_TARGET_PLAN_NOT_IN_THE_SAME_CLASS", "Can't change plan to one that is not in the same class with the current", 400),
    e(171, "ERROR_BIZ_PLAN_RESTRICTION", "Can't change plan from/to business plan", 400),
    e(172, "ERROR_EXPIRATION_DATE_RESTRICTION", "Can't change plan, plan will be expiring or it has already expired", 400),
    e(173, "ERROR_NOT_PREMIUM_USER", "Must be a premium user to use this function", 403),
    e(174, "ERROR_INVALID_URL", "The URL specified is invalid", 400),
    e(175, "ERROR_INVALID_UPLOAD_KEY", "The Upload Key specified is invalid", 404),
    e(176, "ERROR_STORAGE_LIMIT_RESTRICTION", "The storage amount for this product is less than the total size of your files", 400),
    e(177, "ERROR_DUPLICATE_ENTRY", "Cannot insert a duplicate entry", 400),
    e(178, "ERROR_PRODUCT_ID_MATCH", "Cannot change to same plan", 400),
    e(179, "ERROR_NOT_CURRENT_PRODUCT", "Must change to a current product", 400),
    e(180, "ERROR_BIZ_DOWNGRADE", "Cannot downgrade from a business account", 400),
    e(181, "ERROR_BUSINESS_UPGRADE", "Error upgrading to business account", 400),
    e(182, "ERROR_CHANGE_PLAN_CREDIT", "You do not have enough credit to change to this plan. Please contact customer service", 400),
    e(183, "ERROR_BANDWIDTH_ERROR", "Changing to this product would give you negative bandwidth", 400),
    e(184, "ERROR_ALREADY_LINKED", "The account you are trying to link is already linked to another MediaFire user", 400),
    e(185, "ERROR_INVALID_FOLDERNAME", "The specified Folder Name is invalid", 400),
    e(186, "ERROR_ZIP_PASSWORD_BULK", "Cannot download password-protected files in bulk", 403),
    e(187, "ERROR_SERVER_NOT_FOUND", "Found no server matching your request", 404),
    e(188, "ERROR_NOT_LOGGED_IN", "You must be logged in to purchase a plan", 403),
    e(189, "ERROR_RESELLER_TOS", "You must agree to the reseller terms of service", 403),
    e(190, "ERROR_BUSINESS_SEAT", "Business seats cannot make purchases", 403),
    e(191, "ERROR_BANNED_BUYER", "This user is a banned buyer", 403),
    e(192, "ERROR_RESELLER_CREDITS_ERROR", "Error with reseller credits", 400),
    e(193, "ERROR_PURCHASE_BANNED_ERROR", "You may not purchase from this country", 403),
    e(194, "ERROR_SUBDOMAIN_ERROR", "The subdomain is in use or invalid", 400),
    e(195, "ERROR_TOO_MANY_FAILED", "This user has too many failed transactions", 403),
    e(196, "ERROR_INVALID_CARD", "The credit card you have entered is invalid", 400),
    e(197, "ERROR_RECENT_SUBSCRIBER", "You have purchased an account within the last 3 days", 403),
    e(198, "ERROR_INVOICE_FAILED", "There was an error storing the invoice", 400),
    e(199, "ERROR_DUPLICATE_API_TRANSACTION", "A duplicate transaction has been submitted", 400),
    e(200, "ERROR_CARDCCV_ERROR", "Invalid card CCV code", 400),
    e(201, "ERROR_TRANSACTION_DECLINED", "This transaction has been declined", 400),
    e(202, "ERROR_PREPAID_CARD", "Prepaid card error", 400),
    e(206, "ERROR_CARD_STORE_FAILED", "There was an error storing the credit card", 400),
    e(207, "ERROR_COPY_LIMIT_EXCEEDED", "Total number of files copied cannot exceed {}", 403),
    e(208, "ERROR_ASYNC_JOB_IN_PROGRESS", "Another Asynchronous Operation is in progress. Please Retry later", 400),
    e(209, "ERROR_FOLDER_ALREADY_DELETED", "This folder has already been deleted", 400),
    e(210, "ERROR_FILE_ALREADY_DELETED", "This file has already been deleted", 400),
    e(211, "ERROR_CANT_MODIFY_DELETED_ITEMS", "Items in the Trash Can cannot be modified", 403),
    e(212, "ERROR_CHANGE_FROM_FREE", "You cannot change from a free plan", 400),
    e(214, "ERROR_INVALID_FILEDROP_KEY", "The specified FileDrop Key is invalid", 404),
    e(215, "ERROR_MISSING_SIGNATURE", "The call signature is missing", 403),
    e(216, "ERROR_EMAIL_ADDRESS_TOO_SHORT", "The email address provided must be greater than 3 characters", 400),
    e(217, "ERROR_EMAIL_ADDRESS_TOO_LONG", "The email address provided must be less than 50 characters", 400),
    e(218, "ERROR_FB_EMAIL_MISSING", "Cannot register via Facebook. The Facebook Email is missing", 400),
    e(219, "ERROR_FB_EMAIL_EXISTS", "The Facebook Email is already registered with a MediaFire account", 400),
    e(220, "ERROR_AUTH_FACEBOOK", "Failed to authenticate to Facebook", 403),
    e(221, "ERROR_AUTH_TWITTER", "Failed to authenticate to Twitter", 403),
    e(223, "ERROR_INVALID_REVISION", "The revision you requested is invalid or cannot be restored", 400),
    e(224, "ERROR_NO_ACTIVE_INVOICE", "There is no active invoice to cancel", 404),
    e(225, "ERROR_APPLICATION_NO_LOGGING", "This application is not allowed to log to the database", 403),
    e(226, "ERROR_INVALID_INSTALLATION_ID", "Invalid installation ID", 400),
    e(227, "ERROR_INCIDENT_MISMATCH", "The provided incident and installation ID's do not match", 400),
    e(228, "ERROR_MISSING_FACEBOOK_TOKEN", "The Facebook Access Token is required", 400),
    e(229, "ERROR_MISSING_TWITTER_TOKEN", "The Twitter OAuth Token is required", 400),
    e(230, "ERROR_NO_AVATAR", "This user has no associated avatar image", 404),
    e(231, "ERROR_INVALID_SOFTWARE_TOKEN", "The provided software token is invalid", 403),
    e(232, "ERROR_EMAIL_NOT_VALIDATED", "The email address of the sender is not yet validated", 403),
    e(233, "ERROR_AUTH_GMAIL", "Failed to authenticate to Google", 403),
    e(234, "ERROR_FAILED_TO_SEND_MESSAGE", "Failed to send message", 400),
    e(235, "ERROR_USER_IS_OWNER", "You own this resource", 400),
    e(236, "ERROR_USER_IS_FOLLOWER", "You already follow this resource", 400),
    e(237, "ERROR_USER_NOT_FOLLOWER", "You are not following this resource", 400),
    e(238, "ERROR_UPDATE_NO_CHANGE", "This file has not changed; no need to update", 400),
    e(239, "ERROR_SHARE_LIMIT_REACHED", "Maximum number of allowed share for this resource is reached", 403),
    e(240, "ERROR_CANNOT_GRANT_PERMS", "Cannot grant permissions to the specified resource(s)", 403),
    e(241, "ERROR_INVALID_PRINT_SERVICE", "The service number provided is not a recognized service", 400),
    e(242, "ERROR_FOLDER_FILES_EXCEEDED", "The folder trying to be deleted has over 1000 files", 403),
    e(243, "ERROR_ACCOUNT_TEMPORARILY_LOCKED", "This account is temporarily locked. Please, try again later", 403),
    e(244, "ERROR_NON_US_USER", "This service is available to US residents only", 403),
    e(245, "ERROR_INVALID_SERVICE", "You do not have permissions to access this Service", 403),
    e(246, "ERROR_CHANGE_FROM_AFFILIATE", "You cannot change from a plan purchased through an affiliate", 400),
    e(247, "ERROR_CHANGE_FROM_APPLE", "You cannot change from a plan purchased through the App Store", 400),
    e(248, "ERROR_APP_NOT_AUTHENTICATED", "Unable to authenticate app", 403),
    e(249, "ERROR_INVALID_RECEIPT_DATA", "Invalid receipt data submitted", 400),
    e(250, "ERROR_INVALID_TRANSACTION_ID", "Transaction ID not found in receipt data", 400),
    e(251, "ERROR_USED_TRANSACTION_ID", "This transaction ID has already been redeemed", 400),
    e(252, "ERROR_TOKEN_ALREADY_UPGRADED", "The passed session token is already an upgraded version", 403),
    e(253, "ERROR_UNKNOWN_API", "Unknown or invalid API method", 404),
    e(254, "ERROR_LIST_ALREADY_EXISTS", "This list already exists", 400),
    e(282, "ERROR_FILE_TOO_BIG", "The file is larger than the maximum allowed size", 403),
];

/// The table row of `code`, if the code exists.
pub fn error_info(code: u16) -> Option<&'static ErrorInfo> {
    ERRORS
        .binary_search_by_key(&code, |info| info.code)
        .ok()
        .map(|i| &ERRORS[i])
}

/// The numeric codes, named after MediaFire's constants without the `ERROR_` prefix.
pub mod codes {
    pub const INTERNAL: u16 = 100;
    pub const USER_ERROR: u16 = 101;
    pub const MISSING_KEY: u16 = 102;
    pub const INVALID_KEY: u16 = 103;
    pub const MISSING_TOKEN: u16 = 104;
    pub const INVALID_TOKEN: u16 = 105;
    pub const CHANGE_EXTENSION: u16 = 106;
    pub const INVALID_CREDENTIALS: u16 = 107;
    pub const INVALID_USER: u16 = 108;
    pub const INVALID_APPID: u16 = 109;
    pub const INVALID_QUICKKEY: u16 = 110;
    pub const MISSING_QUICKKEY: u16 = 111;
    pub const INVALID_FOLDERKEY: u16 = 112;
    pub const MISSING_FOLDERKEY: u16 = 113;
    pub const ACCESS_DENIED: u16 = 114;
    pub const FOLDER_PATH_CONFLICT: u16 = 115;
    pub const INVALID_DATE: u16 = 116;
    pub const MISSING_FOLDERNAME: u16 = 117;
    pub const INVALID_FILENAME: u16 = 118;
    pub const NO_MF_EMAIL: u16 = 119;
    pub const EMAIL_TAKEN: u16 = 120;
    pub const EMAIL_REJECTED: u16 = 121;
    pub const EMAIL_MISFORMATTED: u16 = 122;
    pub const PASSWORD_MISFORMATTED: u16 = 123;
    pub const API_VERSION_MISSING: u16 = 124;
    pub const OLD_API_VERSION: u16 = 125;
    pub const API_CALL_DEPRECATED: u16 = 126;
    pub const INVALID_SIGNATURE: u16 = 127;
    pub const MISSING_PARAMS: u16 = 128;
    pub const INVALID_PARAMS: u16 = 129;
    pub const NON_PRO_LIMIT_REACHED: u16 = 130;
    pub const ADD_OWNED_FOLDER: u16 = 131;
    pub const REMOVE_OWNED_FOLDER: u16 = 132;
    pub const ADD_ANON_FOLDER: u16 = 133;
    pub const DMCA_INVALID_USER: u16 = 134;
    pub const DMCA_INVALID_RANGE: u16 = 135;
    pub const DMCA_BAN: u16 = 136;
    pub const CONTACT_ALREADY_EXISTS: u16 = 137;
    pub const CONTACT_DOES_NOT_EXIST: u16 = 138;
    pub const CONTACT_GROUP_EXISTS: u16 = 139;
    pub const UNKNOWN_CONTACT_GROUP: u16 = 140;
    pub const UNKNOWN_DEVICE: u16 = 141;
    pub const INVALID_FILE_TYPE: u16 = 142;
    pub const FILE_ALREADY_EXISTS: u16 = 143;
    pub const FOLDER_ALREADY_EXISTS: u16 = 144;
    pub const APPLICATION_DISABLED: u16 = 145;
    pub const APPLICATION_SUSPENDED: u16 = 146;
    pub const ZIP_MULTIPLE_OWNERS: u16 = 147;
    pub const ZIP_NON_PRO_DOWNLOAD: u16 = 148;
    pub const ZIP_OWNER_NOT_PRO: u16 = 149;
    pub const ZIP_FILE_TOO_BIG: u16 = 150;
    pub const ZIP_NO_FILES_SELECTED: u16 = 151;
    pub const ZIP_NO_FILES_ZIPPED: u16 = 152;
    pub const ZIP_TOTAL_SIZE_TOO_BIG: u16 = 153;
    pub const ZIP_NUM_FILES_EXCEEDED: u16 = 154;
    pub const ZIP_OWNER_INSUFFICIENT_BANDWIDTH: u16 = 155;
    pub const ZIP_REQUESTER_INSUFFICIENT_BANDWIDTH: u16 = 156;
    pub const ZIP_ALL_INSUFFICIENT_BANDWIDTH: u16 = 157;
    pub const FILE_EXISTS: u16 = 158;
    pub const FOLDER_EXISTS: u16 = 159;
    pub const INVALID_ACCEPTANCE_TOKEN: u16 = 160;
    pub const USER_MUST_ACCEPT_TOS: u16 = 161;
    pub const LIMIT_EXCEEDED: u16 = 162;
    pub const ACCESS_LIMIT_REACHED: u16 = 163;
    pub const DMCA_ALREADY_REPORTED: u16 = 164;
    pub const DMCA_ALREADY_REMOVED: u16 = 165;
    pub const ADD_PRIVATE_FOLDER: u16 = 166;
    pub const FOLDER_DEPTH_LIMIT: u16 = 167;
    pub const INVALID_PRODUCT_ID: u16 = 168;
    pub const UPLOAD_FAILED: u16 = 169;
    pub const TARGET_PLAN_NOT_IN_THE_SAME_CLASS: u16 = 170;
    pub const BIZ_PLAN_RESTRICTION: u16 = 171;
    pub const EXPIRATION_DATE_RESTRICTION: u16 = 172;
    pub const NOT_PREMIUM_USER: u16 = 173;
    pub const INVALID_URL: u16 = 174;
    pub const INVALID_UPLOAD_KEY: u16 = 175;
    pub const STORAGE_LIMIT_RESTRICTION: u16 = 176;
    pub const DUPLICATE_ENTRY: u16 = 177;
    pub const PRODUCT_ID_MATCH: u16 = 178;
    pub const NOT_CURRENT_PRODUCT: u16 = 179;
    pub const BIZ_DOWNGRADE: u16 = 180;
    pub const BUSINESS_UPGRADE: u16 = 181;
    pub const CHANGE_PLAN_CREDIT: u16 = 182;
    pub const BANDWIDTH_ERROR: u16 = 183;
    pub const ALREADY_LINKED: u16 = 184;
    pub const INVALID_FOLDERNAME: u16 = 185;
    pub const ZIP_PASSWORD_BULK: u16 = 186;
    pub const SERVER_NOT_FOUND: u16 = 187;
    pub const NOT_LOGGED_IN: u16 = 188;
    pub const RESELLER_TOS: u16 = 189;
    pub const BUSINESS_SEAT: u16 = 190;
    pub const BANNED_BUYER: u16 = 191;
    pub const RESELLER_CREDITS_ERROR: u16 = 192;
    pub const PURCHASE_BANNED_ERROR: u16 = 193;
    pub const SUBDOMAIN_ERROR: u16 = 194;
    pub const TOO_MANY_FAILED: u16 = 195;
    pub const INVALID_CARD: u16 = 196;
    pub const RECENT_SUBSCRIBER: u16 = 197;
    pub const INVOICE_FAILED: u16 = 198;
    pub const DUPLICATE_API_TRANSACTION: u16 = 199;
    pub const CARDCCV_ERROR: u16 = 200;
    pub const TRANSACTION_DECLINED: u16 = 201;
    pub const PREPAID_CARD: u16 = 202;
    pub const CARD_STORE_FAILED: u16 = 206;
    pub const COPY_LIMIT_EXCEEDED: u16 = 207;
    pub const ASYNC_JOB_IN_PROGRESS: u16 = 208;
    pub const FOLDER_ALREADY_DELETED: u16 = 209;
    pub const FILE_ALREADY_DELETED: u16 = 210;
    pub const CANT_MODIFY_DELETED_ITEMS: u16 = 211;
    pub const CHANGE_FROM_FREE: u16 = 212;
    pub const INVALID_FILEDROP_KEY: u16 = 214;
    pub const MISSING_SIGNATURE: u16 = 215;
    pub const EMAIL_ADDRESS_TOO_SHORT: u16 = 216;
    pub const EMAIL_ADDRESS_TOO_LONG: u16 = 217;
    pub const FB_EMAIL_MISSING: u16 = 218;
    pub const FB_EMAIL_EXISTS: u16 = 219;
    pub const AUTH_FACEBOOK: u16 = 220;
    pub const AUTH_TWITTER: u16 = 221;
    pub const INVALID_REVISION: u16 = 223;
    pub const NO_ACTIVE_INVOICE: u16 = 224;
    pub const APPLICATION_NO_LOGGING: u16 = 225;
    pub const INVALID_INSTALLATION_ID: u16 = 226;
    pub const INCIDENT_MISMATCH: u16 = 227;
    pub const MISSING_FACEBOOK_TOKEN: u16 = 228;
    pub const MISSING_TWITTER_TOKEN: u16 = 229;
    pub const NO_AVATAR: u16 = 230;
    pub const INVALID_SOFTWARE_TOKEN: u16 = 231;
    pub const EMAIL_NOT_VALIDATED: u16 = 232;
    pub const AUTH_GMAIL: u16 = 233;
    pub const FAILED_TO_SEND_MESSAGE: u16 = 234;
    pub const USER_IS_OWNER: u16 = 235;
    pub const USER_IS_FOLLOWER: u16 = 236;
    pub const USER_NOT_FOLLOWER: u16 = 237;
    pub const UPDATE_NO_CHANGE: u16 = 238;
    pub const SHARE_LIMIT_REACHED: u16 = 239;
    pub const CANNOT_GRANT_PERMS: u16 = 240;
    pub const INVALID_PRINT_SERVICE: u16 = 241;
    pub const FOLDER_FILES_EXCEEDED: u16 = 242;
    pub const ACCOUNT_TEMPORARILY_LOCKED: u16 = 243;
    pub const NON_US_USER: u16 = 244;
    pub const INVALID_SERVICE: u16 = 245;
    pub const CHANGE_FROM_AFFILIATE: u16 = 246;
    pub const CHANGE_FROM_APPLE: u16 = 247;
    pub const APP_NOT_AUTHENTICATED: u16 = 248;
    pub const INVALID_RECEIPT_DATA: u16 = 249;
    pub const INVALID_TRANSACTION_ID: u16 = 250;
    pub const USED_TRANSACTION_ID: u16 = 251;
    pub const TOKEN_ALREADY_UPGRADED: u16 = 252;
    pub const UNKNOWN_API: u16 = 253;
    pub const LIST_ALREADY_EXISTS: u16 = 254;
    pub const FILE_TOO_BIG: u16 = 282;
}

/// An API error as clients see it: a table code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    pub message: String,
}

impl ApiError {
    /// The table message of `code`; an unknown code becomes 100 (internal error). A limit
    /// placeholder stays the seed's `X` — use [`ApiError::with_limit`] for those codes.
    pub fn new(code: u16) -> Self {
        let info = known(code);
        ApiError {
            code: info.code,
            message: info.message.replace(LIMIT_PLACEHOLDER, UNFILLED_LIMIT),
        }
    }

    /// The table message of `code` with its limit placeholder filled with `limit`
    /// (150/153: megabytes, 154: files, 167: nesting depth, 207: objects). For a code without
    /// a placeholder this is the same as [`ApiError::new`].
    pub fn with_limit(code: u16, limit: u64) -> Self {
        let info = known(code);
        ApiError {
            code: info.code,
            message: info.message.replace(LIMIT_PLACEHOLDER, &limit.to_string()),
        }
    }

    /// `code` with a message of our own; an unknown code becomes 100.
    pub fn with_message(code: u16, message: String) -> Self {
        ApiError {
            code: known(code).code,
            message,
        }
    }

    /// Shorthand for [`ApiError::new`]`(100)`.
    pub fn internal() -> Self {
        ApiError::new(codes::INTERNAL)
    }

    /// The table row of this error's code.
    pub fn info(&self) -> &'static ErrorInfo {
        known(self.code)
    }

    /// MediaFire's constant name, e.g. `ERROR_ACCESS_DENIED`.
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// The HTTP status to send this error with (900 only for 100).
    pub fn http_status(&self) -> u16 {
        self.info().http_status
    }
}

fn known(code: u16) -> &'static ErrorInfo {
    error_info(code)
        .or_else(|| error_info(codes::INTERNAL))
        .unwrap_or(&ERRORS[0])
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in ERRORS.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].code,
                pair[1].code
            );
        }
    }

    #[test]
    fn names_are_constants() {
        for info in ERRORS {
            assert!(info.name.starts_with("ERROR_"), "{}", info.code);
            assert!(
                info.name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{}",
                info.name
            );
            assert!(!info.message.is_empty(), "{}", info.code);
            assert!(!info.message.ends_with('.'), "{}", info.code);
        }
    }

    #[test]
    fn status_900_only_for_internal() {
        for info in ERRORS {
            assert_eq!(info.http_status == 900, info.code == 100, "{}", info.code);
            assert!(
                matches!(info.http_status, 400 | 403 | 404 | 900),
                "{}",
                info.code
            );
        }
    }

    #[test]
    fn statuses_follow_policy() {
        for code in [110, 112, 138, 140, 141, 175, 187, 214, 253] {
            assert_eq!(error_info(code).unwrap().http_status, 404, "{code}");
        }
        for code in [
            102, 103, 104, 105, 107, 108, 109, 114, 127, 145, 146, 160, 161, 162, 163, 173, 215,
            243, 252,
        ] {
            assert_eq!(error_info(code).unwrap().http_status, 403, "{code}");
        }
        for code in [101, 111, 113, 116, 117, 118, 122, 123, 128, 129, 185] {
            assert_eq!(error_info(code).unwrap().http_status, 400, "{code}");
        }
    }

    #[test]
    fn extra_codes_present() {
        assert_eq!(error_info(134).unwrap().name, "ERROR_DMCA_INVALID_USER");
        assert_eq!(error_info(135).unwrap().name, "ERROR_DMCA_INVALID_RANGE");
        assert_eq!(error_info(136).unwrap().name, "ERROR_DMCA_BAN");
        assert_eq!(error_info(282).unwrap().name, "ERROR_FILE_TOO_BIG");
        assert!(error_info(254)
            .unwrap()
            .name
            .starts_with("ERROR_LIST_ALREADY"));
        assert!(error_info(999).is_none());
    }

    #[test]
    fn captured_wire_messages() {
        assert_eq!(ApiError::new(104).message, "Session Token is missing");
        assert_eq!(
            ApiError::new(105).message,
            "The supplied Session Token is expired or invalid"
        );
        assert_eq!(ApiError::new(110).message, "Unknown or Invalid QuickKey");
        assert_eq!(ApiError::new(112).message, "Unknown or invalid FolderKey");
        assert_eq!(ApiError::new(114).message, "Access denied");
        assert_eq!(
            ApiError::new(243).message,
            "This account is temporarily locked. Please, try again later"
        );
    }

    #[test]
    fn templates() {
        let templated: Vec<u16> = ERRORS
            .iter()
            .filter(|i| i.message.contains(LIMIT_PLACEHOLDER))
            .map(|i| i.code)
            .collect();
        assert_eq!(templated, [150, 153, 154, 167, 207]);
        for info in ERRORS {
            assert!(info.message.matches(LIMIT_PLACEHOLDER).count() <= 1);
        }
        assert_eq!(
            ApiError::with_limit(codes::FOLDER_DEPTH_LIMIT, 100).message,
            "Maximum depth of folder reached. Cannot add more than 100 nested folders"
        );
        assert_eq!(
            ApiError::with_limit(codes::COPY_LIMIT_EXCEEDED, 6000).message,
            "Total number of files copied cannot exceed 6000"
        );
        assert_eq!(
            ApiError::new(codes::ZIP_NUM_FILES_EXCEEDED).message,
            "Maximum number of files reached. Cannot add more than X files"
        );
        assert_eq!(ApiError::with_limit(110, 5), ApiError::new(110));
    }

    #[test]
    fn unknown_code_becomes_internal() {
        let err = ApiError::new(999);
        assert_eq!(err.code, 100);
        assert_eq!(err.message, "Internal server error");
        assert_eq!(err.http_status(), 900);
        let err = ApiError::with_message(4242, "boom".into());
        assert_eq!((err.code, err.message.as_str()), (100, "boom"));
        assert_eq!(ApiError::with_limit(1, 3).code, 100);
    }

    #[test]
    fn api_error_basics() {
        let err = ApiError::new(codes::INVALID_QUICKKEY);
        assert_eq!(err.http_status(), 404);
        assert_eq!(err.name(), "ERROR_INVALID_QUICKKEY");
        assert_eq!(err.to_string(), "error 110: Unknown or Invalid QuickKey");
        let custom = ApiError::with_message(codes::INVALID_PARAMS, "bad chunk".into());
        assert_eq!(custom.http_status(), 400);
        let boxed: Box<dyn std::error::Error> = Box::new(custom);
        assert!(boxed.to_string().contains("bad chunk"));
    }

    #[test]
    fn code_constants() {
        assert_eq!(codes::INTERNAL, 100);
        assert_eq!(codes::MISSING_TOKEN, 104);
        assert_eq!(codes::INVALID_SIGNATURE, 127);
        assert_eq!(codes::MISSING_SIGNATURE, 215);
        assert_eq!(codes::UNKNOWN_API, 253);
        assert_eq!(codes::LIST_ALREADY_EXISTS, 254);
        assert_eq!(codes::FILE_TOO_BIG, 282);
    }
}
