/// Whether this executable was built in debug or release mode (`#if DEBUG`, which
/// SwiftPM defines for `-c debug`), and the warning a debug build prints: its numbers
/// are 10-20x slower than release and must not be quoted.
enum BuildConfiguration {
    #if DEBUG
        static let name = "debug"
        static let isRelease = false
    #else
        static let name = "release"
        static let isRelease = true
    #endif

    static let debugWarning = """
        WARNING: this is a DEBUG build of bench. Its timings are not representative \
        (often 10-20x slower than release); measure with `swift run -c release bench`.
        """
}
