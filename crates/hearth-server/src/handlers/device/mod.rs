//! The device group (device 0, the cloud).

super::calls! {}
