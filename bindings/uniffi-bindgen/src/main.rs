//! The workspace's `uniffi-bindgen`, pinned to the same uniffi as the FFI crate so the
//! generated bindings always match the library's metadata.

fn main() {
    uniffi::uniffi_bindgen_main()
}
