#!/usr/bin/env bash
# Builds the Rust FFI library for iOS devices and simulators into
# GridwalkKit/GridwalkFFI.xcframework, and puts the generated Swift bindings next to it in
# the GridwalkKit package. Run on a Mac with Xcode; see ios/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# The static library must not ask for a newer iOS than the app targets.
export IPHONEOS_DEPLOYMENT_TARGET=17.0
lib=libgridwalk_ffi.a
out=ios/build
kit=ios/GridwalkKit
generated=bindings/generated/swift

for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
    cargo build --release --locked -p gridwalk-ffi --target "$target"
done

rm -rf "$out" "$kit/GridwalkFFI.xcframework" "$kit/Sources/GridwalkKit/Generated"
mkdir -p "$out/headers" "$out/simulator" "$kit/Sources/GridwalkKit/Generated"

# One headers folder for the three C modules (the FFI crate's, the core's and the model's
# types). An xcframework's headers must carry a file named module.modulemap, so the
# generated modulemaps are joined into it.
cp "$generated/GridwalkFFIFFI.h" "$generated/GridwalkCoreFFI.h" "$generated/GridwalkModelFFI.h" "$out/headers/"
{ cat "$generated/GridwalkFFIFFI.modulemap"; echo; cat "$generated/GridwalkCoreFFI.modulemap"; echo; cat "$generated/GridwalkModelFFI.modulemap"; echo; } \
    > "$out/headers/module.modulemap"

# Both simulator architectures in one library: an xcframework holds one per platform.
lipo -create \
    "target/aarch64-apple-ios-sim/release/$lib" \
    "target/x86_64-apple-ios/release/$lib" \
    -output "$out/simulator/$lib"

xcodebuild -create-xcframework \
    -library "target/aarch64-apple-ios/release/$lib" -headers "$out/headers" \
    -library "$out/simulator/$lib" -headers "$out/headers" \
    -output "$kit/GridwalkFFI.xcframework"

# uniffi's Swift for several crates must compile as one Swift module, so all three files
# go into the package's single target. Copied, like the libraries: SwiftPM refuses sources
# outside the package folder. Never edit them there; run scripts/generate-bindings.
cp "$generated/GridwalkFFI.swift" "$generated/GridwalkCore.swift" "$generated/GridwalkModel.swift" "$kit/Sources/GridwalkKit/Generated/"

echo "built $kit/GridwalkFFI.xcframework and $kit/Sources/GridwalkKit/Generated"
