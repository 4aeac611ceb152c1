// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-rnn",
    products: [
        .library(name: "Linalg", targets: ["Linalg"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev", "pkg-config"])]
        ),
        .target(name: "Linalg", dependencies: ["CBLAS"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
    ],
    swiftLanguageModes: [.v6]
)
