//! The file group.

super::calls! {}
