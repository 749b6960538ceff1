//! End-to-end tests of the file group.
