// swift-tools-version:5.9
// The Rust core as a Swift library: the xcframework (static library + C headers), the
// uniffi-generated Swift over it, and the shell's logic that needs no UI framework.
// The library's module is `GridwalkKit`, never `Gridwalk`: that is the app target's
// module, and an app importing a module of its own name gets nothing from it
// (tests/tests/shell_projects.rs fails on such a clash).
import PackageDescription

let package = Package(
    name: "GridwalkKit",
    platforms: [.iOS(.v17)],
    products: [
        .library(name: "GridwalkKit", targets: ["GridwalkKit"]),
    ],
    targets: [
        .binaryTarget(name: "GridwalkFFIRust", path: "GridwalkFFI.xcframework"),
        .target(
            name: "GridwalkKit",
            dependencies: ["GridwalkFFIRust"],
            // Tools 5.9: Swift 5 language mode, which the generated code is written for.
            // Generated/ (from build-xcframework.sh) and Logic/ (plain Foundation).
            path: "Sources/GridwalkKit"
        ),
        .testTarget(
            name: "GridwalkKitTests",
            dependencies: ["GridwalkKit"],
            path: "Tests/GridwalkKitTests"
        ),
    ]
)
