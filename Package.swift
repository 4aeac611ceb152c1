// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-rnn",
    products: [
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "RNN", targets: ["RNN"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev", "pkg-config"])]
        ),
        .target(name: "Linalg", dependencies: ["CBLAS"]),
        .target(name: "RNN", dependencies: ["Linalg"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "RNNTests", dependencies: ["RNN", "Linalg"]),
    ],
    swiftLanguageModes: [.v6]
)
