//! hello tests.
