mod get_version;
mod others;
