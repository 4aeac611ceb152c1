// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-rnn",
    products: [
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "RNN", targets: ["RNN"]),
        .library(name: "RNNTraining", targets: ["RNNTraining"]),
        .library(name: "RNNDistributed", targets: ["RNNDistributed"]),
        .library(name: "ONNXExport", targets: ["ONNXExport"]),
        .library(name: "SequenceData", targets: ["SequenceData"]),
        .executable(name: "charrnn", targets: ["charrnn"]),
        .executable(name: "bench", targets: ["bench"]),
        .executable(name: "series", targets: ["series"]),
        .executable(name: "seq2seq", targets: ["seq2seq"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target RNN` (DocC catalogs in each library).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev", "pkg-config"])]
        ),
        // oneDNN's sgemm (JIT, AVX-512 where the CPU has it), one of Linalg's GEMM backends.
        .systemLibrary(
            name: "CDNNL",
            path: "Sources/CDNNL",
            providers: [.apt(["libdnnl-dev"])]
        ),
        // Open MPI (Debian's libopenmpi-dev) and a shim exporting its macro handles, imported
        // by RNNDistributed only: RNN, RNNTraining and their users need no MPI.
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        // Internal, no stable API (see its README): vectorized exp/tanh/sigmoid loops, gate
        // math, softmax and Adam, with AVX2 + FMA and AVX-512 variants chosen at run time
        // (source attributes, no compiler flags), and the FMA-peak loop.
        .target(name: "_RNNKernels", exclude: ["README.md"]),
        .target(name: "Linalg", dependencies: ["CBLAS", "CDNNL", "_RNNKernels"]),
        // Internal, package access only: reading regular files, atomic writes, JSON strings;
        // shared by SafeTensors and the tools.
        .target(name: "_FileIO"),
        // Internal, package access only: what the command-line tools share — the console,
        // one-line errors, output paths, number formats, SVG charts.
        .target(
            name: "_ToolSupport",
            dependencies: [
                "RNN", "RNNTraining", "ONNXExport", "Linalg", "_FileIO", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // The safetensors file format alone (read, write, errors): depends on nothing of ours
        // but _FileIO, so that other Swift projects can use it.
        .target(name: "SafeTensors", dependencies: ["_FileIO"]),
        .target(name: "RNN", dependencies: ["Linalg", "_RNNKernels"]),
        // Training any SequenceModel: the Trainer, the batch split across threads, token
        // streams, checkpoints (on SafeTensors) and the tutorial's example.
        .target(name: "RNNTraining", dependencies: ["RNN", "Linalg", "SafeTensors", "_FileIO"]),
        // Numeric sequences from CSV files: a streaming reader, time order, scaling,
        // differencing, forecasting windows, grouped sequences, metrics and baselines.
        .target(name: "SequenceData", dependencies: ["RNN", "RNNTraining", "Linalg", "_FileIO"]),
        // ONNX files of every model (the only module that knows protobuf: its own small
        // writer and reader of the fields ONNX needs, no generated code).
        .target(name: "ONNXExport", dependencies: ["RNN", "_FileIO"]),
        // Data-parallel training across processes (ranks started by mpirun) over MPI.
        .target(name: "RNNDistributed", dependencies: ["CMPI", "RNNTraining", "RNN", "Linalg"]),
        .executableTarget(
            name: "charrnn",
            dependencies: [
                "RNN", "RNNTraining", "RNNDistributed", "ONNXExport", "Linalg", "SafeTensors", "_FileIO", "_ToolSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "series",
            dependencies: [
                "RNN", "RNNTraining", "SequenceData", "ONNXExport", "Linalg", "SafeTensors", "_FileIO", "_ToolSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "seq2seq",
            dependencies: [
                "RNN", "RNNTraining", "RNNDistributed", "SequenceData", "ONNXExport", "Linalg", "SafeTensors", "_FileIO",
                "_ToolSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "bench",
            dependencies: [
                "RNN", "RNNTraining", "RNNDistributed", "Linalg", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/bench"
        ),
        // Examples/: one small program per architecture, built by `swift build`, run by the tests.
        .executableTarget(name: "example-classifier", dependencies: ["RNN", "RNNTraining", "Linalg"], path: "Examples/Classifier"),
        .executableTarget(name: "example-generator", dependencies: ["RNN", "RNNTraining", "Linalg"], path: "Examples/Generator"),
        .executableTarget(name: "example-reverser", dependencies: ["RNN", "RNNTraining", "Linalg"], path: "Examples/Reverser"),
        .executableTarget(
            name: "example-character-model", dependencies: ["RNN", "RNNTraining", "Linalg"], path: "Examples/CharacterModel"),
        .executableTarget(name: "example-tagger", dependencies: ["RNN", "RNNTraining", "Linalg"], path: "Examples/Tagger"),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg", "_RNNKernels"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "SequenceDataTests", dependencies: ["SequenceData", "RNN", "Linalg", "ToolTesting"]),
        .testTarget(name: "ONNXExportTests", dependencies: ["ONNXExport", "RNN", "Linalg", "ToolTesting"]),
        .testTarget(name: "RNNTests", dependencies: ["RNN", "RNNTraining", "Linalg", "ToolTesting"]),
        // Fixtures/: checkpoint files of every older format version, read by FormatFixtureTests.
        .testTarget(
            name: "RNNTrainingTests", dependencies: ["RNNTraining", "RNN", "Linalg", "SafeTensors", "ToolTesting"],
            exclude: ["Fixtures"]),
        // The Swift blocks of the README, docs/ and the DocC articles, each compiled as a
        // function (generated and kept current by DocumentationTests).
        .testTarget(
            name: "SnippetTests",
            dependencies: [
                "Linalg", "RNN", "RNNTraining", "RNNDistributed", "SafeTensors", "ONNXExport",
                "SequenceData",
            ]),
        // Runs the built executables (ToolTesting finds them beside the test bundle).
        .target(name: "ToolTesting", dependencies: ["Linalg"], path: "Tests/ToolTesting"),
        // Runs under mpirun in RNNDistributedTests: N ranks against the whole batch in one process.
        .executableTarget(
            name: "distributed-check", dependencies: ["RNNDistributed", "RNNTraining", "RNN", "Linalg"],
            path: "Tests/DistributedCheck"),
        .testTarget(
            name: "RNNDistributedTests",
            dependencies: [
                "RNNDistributed", "RNNTraining", "RNN", "Linalg", "SafeTensors", "ToolTesting",
                "charrnn", "distributed-check", "seq2seq",
            ]),
        .testTarget(name: "CharRNNTests", dependencies: ["RNN", "RNNTraining", "Linalg", "SafeTensors", "ToolTesting", "charrnn"]),
        .testTarget(name: "SeriesTests", dependencies: ["ToolTesting", "Linalg", "RNN", "RNNTraining", "series"]),
        .testTarget(name: "Seq2SeqTests", dependencies: ["ToolTesting", "Linalg", "RNN", "SequenceData", "seq2seq"]),
        .testTarget(name: "BenchTests", dependencies: ["Linalg", "ToolTesting", "bench"]),
        .testTarget(
            name: "ExampleTests",
            dependencies: [
                "ToolTesting", "example-classifier", "example-generator",
                "example-reverser", "example-character-model", "example-tagger",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
