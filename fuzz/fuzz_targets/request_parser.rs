//! Fuzz target `request_parser` (see fuzz/README.md); the check itself is `vigil_fuzz::check_request_parser`.
#![cfg_attr(feature = "libfuzzer", no_main)]

#[cfg(feature = "libfuzzer")]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_fuzz::check_request_parser(data));

#[cfg(not(feature = "libfuzzer"))]
fn main() {
    vigil_fuzz::plain_main(vigil_fuzz::check_request_parser);
}
