//! The integration tests of hearth-api, as one binary.

mod envelopes;
mod tables;
