//! End-to-end tests: a real server on a loopback port, driven over HTTP with hearth-client and
//! raw requests. They run on SQLite, and on PostgreSQL when TEST_PG_URL is set.

mod harness;

mod auth;
mod authz_matrix;
mod device;
mod docs;
mod download;
mod file;
mod folder;
mod jobs;
mod listener;
mod pages;
mod snapshots;
mod system;
mod tidy;
mod upload;
mod user;
mod widget;
mod wire;
