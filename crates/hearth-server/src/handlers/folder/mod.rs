//! The folder group.

super::calls! {}
