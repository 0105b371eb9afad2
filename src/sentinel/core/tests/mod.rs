//! Deterministic state-machine tests with virtual time.
