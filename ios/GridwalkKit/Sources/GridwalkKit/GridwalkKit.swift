// The module `GridwalkKit`: Generated/ holds the uniffi Swift (written by
// ../../../build-xcframework.sh from bindings/generated/swift, ignored by git); Logic/ holds
// the shell's decisions that need no UI framework (Foundation only), so they can be tested
// wherever a Swift toolchain runs.
