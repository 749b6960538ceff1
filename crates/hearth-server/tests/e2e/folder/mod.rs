//! End-to-end tests of the folder group.
