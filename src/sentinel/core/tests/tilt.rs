//! tilt tests.
