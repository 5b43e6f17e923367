// swift-tools-version:5.9
// The Rust core as a Swift library: the xcframework (static library + C headers) and the
// uniffi-generated Swift over it. Both are produced by ../build-xcframework.sh.
import PackageDescription

let package = Package(
    name: "GridwalkKit",
    platforms: [.iOS(.v17)],
    products: [
        .library(name: "Gridwalk", targets: ["Gridwalk"]),
    ],
    targets: [
        .binaryTarget(name: "GridwalkFFIRust", path: "GridwalkFFI.xcframework"),
        .target(
            name: "Gridwalk",
            dependencies: ["GridwalkFFIRust"],
            // Tools 5.9: Swift 5 language mode, which the generated code is written for.
            path: "Sources/Gridwalk"
        ),
    ]
)
