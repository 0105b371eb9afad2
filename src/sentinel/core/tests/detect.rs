//! detect tests.
