//! Fuzz target `inline_split` (see fuzz/README.md); the check itself is `vigil_fuzz::check_inline_split`.
#![cfg_attr(feature = "libfuzzer", no_main)]

#[cfg(feature = "libfuzzer")]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_fuzz::check_inline_split(data));

#[cfg(not(feature = "libfuzzer"))]
fn main() {
    vigil_fuzz::plain_main(vigil_fuzz::check_inline_split);
}
