//! End-to-end tests of the device group.
